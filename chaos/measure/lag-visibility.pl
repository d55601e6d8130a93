# Replication-lag visibility probe: runs inside the PRIMARY's task container, one process per
# replica. Every tick it writes a heartbeat row on the primary (local socket, as root) and reads
# @@last_gtid; then it asks the replica (over the network, as the app user) to
# MASTER_GTID_WAIT for that GTID. The server wakes the waiter when the replica applies it, so
# there is no poll interval: lag = (answer received) - (write acknowledged), both read on THIS
# process's monotonic clock. One clock, so skew between the hosts does not enter.
#
# Output, one line each (µs integers):
#   ready
#   seen <seq> <lag_us> <still_pending> <ack_epoch_us>   heartbeat <seq> became visible on the
#                                              replica (ack_epoch_us: the write's ack, wall clock)
#   pending <seq> <age_us> <count>             at a tick: the oldest heartbeat is still not visible
#   error <text>                               then exit (the caller opens a new probe)
# Bounded: exits after <max_seconds>, when stdout closes, or when a client dies.
use strict;
use warnings;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC CLOCK_REALTIME);
use IPC::Open2;
use IO::Select;
use IO::Handle;

$SIG{PIPE} = sub { exit 0 };
STDOUT->autoflush(1);
my ($host, $port, $interval_ms, $max_pending, $max_seconds, $db, $row) = @ARGV;
$db //= 'tododb';
$row //= 2;
die "usage: host port interval_ms max_pending max_seconds [db] [row]\n" unless defined $max_seconds;
sub now_us { return int(clock_gettime(CLOCK_MONOTONIC) * 1e6) }
sub fail { print "error $_[0]\n"; exit 3 }

sub secret {
  my ($name, $env) = @_;
  my $file = $ENV{"${env}_FILE"} || "/run/secrets/$name";
  if (open my $fh, '<', $file) { local $/; my $v = <$fh>; $v =~ s/\n\z//; return $v }
  return $ENV{$env} // '';
}

my @batch = ('--batch', '--skip-column-names', '--unbuffered');
my ($wout, $win, $rout, $rin);
open2($wout, $win, 'mariadb', '--protocol=socket', '--socket=/run/mysqld/mysqld.sock', '-uroot', @batch, $db);
{
  local $ENV{MYSQL_PWD} = secret('tododb_password', 'TODODB_PASSWORD');
  open2($rout, $rin, 'mariadb', '-h', $host, '-P', $port, '-u', ($ENV{TODODB_USER} || 'todo'), '--connect-timeout=3', @batch, $db);
}
$win->autoflush(1);
$rin->autoflush(1);

# line reader with a timeout: ('ok', line) | ('timeout') | ('eof')
my %buf;
sub read_line {
  my ($fh, $timeout_s) = @_;
  my $k = fileno($fh);
  my $deadline = clock_gettime(CLOCK_MONOTONIC) + $timeout_s;
  my $sel = IO::Select->new($fh);
  while (1) {
    my $b = $buf{$k} //= '';
    my $i = index($b, "\n");
    if ($i >= 0) { my $l = substr($b, 0, $i); $buf{$k} = substr($b, $i + 1); return ('ok', $l) }
    my $left = $deadline - clock_gettime(CLOCK_MONOTONIC);
    return ('timeout') if $left <= 0;
    next unless $sel->can_read($left);
    my $n = sysread($fh, my $chunk, 4096);
    return ('eof') unless $n;
    $buf{$k} .= $chunk;
  }
}

my $seq = 0;
my @pending;    # [seq, gtid, ack_us, ack_epoch_us], oldest first
sub write_heartbeat {
  print $win "INSERT INTO heartbeat (id, ts, server_id) VALUES ($row, NOW(6), \@\@server_id) " .
    "ON DUPLICATE KEY UPDATE ts=VALUES(ts), server_id=VALUES(server_id); SELECT \@\@last_gtid;\n";
  my ($st, $gtid) = read_line($wout, 5);
  fail("heartbeat write on the primary: $st") unless $st eq 'ok';
  my $ack = now_us();
  my $wall = int(clock_gettime(CLOCK_REALTIME) * 1e6);
  fail("no GTID for the heartbeat write (binary log off?): '$gtid'") unless $gtid =~ /^\d+-\d+-\d+$/;
  push @pending, [++$seq, $gtid, $ack, $wall];
}

my $iv = $interval_ms * 1000;
my $end = now_us() + $max_seconds * 1e6;
my $next = now_us();
my $wait;    # [seq, sent_us] of the outstanding MASTER_GTID_WAIT
print "ready\n";
while (1) {
  my $now = now_us();
  exit 0 if $now >= $end;
  if ($now >= $next) {
    printf "pending %d %d %d\n", $pending[0][0], $now - $pending[0][2], scalar @pending if @pending;
    write_heartbeat() if @pending < $max_pending;
    $next += $iv;
    $next = $now + $iv if $next <= $now;
  }
  if (!$wait && @pending) {
    # wake up by the next tick at the latest (MASTER_GTID_WAIT answers -1 on timeout)
    my $to = ($next - now_us()) / 1e6;
    $to = 0.001 if $to < 0.001;
    # then the position right after: every heartbeat it covers was visible by then too, so a
    # burst (a replica catching up) is timed in one round trip, not one per heartbeat
    printf $rin "SELECT MASTER_GTID_WAIT('%s', %.3f); SELECT \@\@gtid_slave_pos;\n", $pending[0][1], $to;
    $wait = [$pending[0][0], now_us()];
  }
  my $left = ($next - now_us()) / 1e6;
  $left = 0 if $left < 0;
  if (!$wait) {
    select(undef, undef, undef, $left) if $left > 0;
    next;
  }
  my ($st, $line) = read_line($rout, $left);
  fail('the connection to the replica closed') if $st eq 'eof';
  if ($st eq 'timeout') {
    # no answer long past the wait's own timeout: the replica is unreachable; a fresh probe retries
    fail('no answer from the replica for 30 s') if now_us() - $wait->[1] > 30e6;
    next;
  }
  my $t = now_us();
  fail("unexpected answer to MASTER_GTID_WAIT: $line") unless $line eq '0' || $line eq '-1';
  my ($st2, $pos) = read_line($rout, 5);
  fail("no \@\@gtid_slave_pos from the replica: $st2") unless $st2 eq 'ok';
  if ($line eq '0') {
    my %at = map { my ($d, undef, $n) = split /-/; ($d => $n) } grep { /^\d+-\d+-\d+$/ } split /,/, $pos;
    my $first = 1;
    while (@pending) {
      my ($d, undef, $n) = split /-/, $pending[0][1];
      last unless $first || (defined $at{$d} && $at{$d} >= $n);
      $first = 0;
      my $h = shift @pending;
      printf "seen %d %d %d %d\n", $h->[0], $t - $h->[2], scalar @pending, $h->[3];
    }
  }
  $wait = undef;
}
