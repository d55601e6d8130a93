// gameday-netdelay: delays (and optionally drops) the packets that iptables sends to one NFQUEUE
// queue. It stands in for tc netem on kernels built without sch_netem: the chaos netem fault runs
// it inside a task's network namespace with a rule like
//
//	iptables -I OUTPUT ! -o lo -j NFQUEUE --queue-num N --queue-bypass
//
// Packets are held in user space and accepted when their time is due; with --queue-bypass and the
// fail-open flag, traffic flows undelayed as soon as this process is gone, so a crash never cuts a
// task off. The run is bounded by --max-duration; SIGTERM/SIGINT accept everything held and exit.
package main

import (
	"container/heap"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	nfqueue "github.com/florianl/go-nfqueue/v2"
	"github.com/mdlayher/netlink"
)

type held struct {
	id  uint32
	due time.Time
}

// dueHeap orders held packets by due time (jitter may reorder them, as netem does).
type dueHeap []held

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(held)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type config struct {
	queue       uint
	delay       time.Duration
	jitter      time.Duration
	lossPct     float64
	maxDuration time.Duration
	pidFile     string
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("gameday-netdelay", flag.ContinueOnError)
	fs.UintVar(&c.queue, "queue", 0, "NFQUEUE number to serve (1..65535)")
	fs.DurationVar(&c.delay, "delay", 0, "delay added to every packet, e.g. 300ms")
	fs.DurationVar(&c.jitter, "jitter", 0, "uniform jitter around the delay (±), e.g. 50ms")
	fs.Float64Var(&c.lossPct, "loss", 0, "share of packets dropped, in percent (0..100)")
	fs.DurationVar(&c.maxDuration, "max-duration", 10*time.Minute, "exit by itself after this long (traffic then flows undelayed)")
	fs.StringVar(&c.pidFile, "pidfile", "", "write the pid here; removed on exit")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case c.queue < 1 || c.queue > 65535:
		return c, fmt.Errorf("--queue: expected 1..65535, got %d", c.queue)
	case c.delay < 0 || c.delay > time.Minute:
		return c, fmt.Errorf("--delay: expected 0..1m, got %s", c.delay)
	case c.jitter < 0 || c.jitter > c.delay:
		return c, fmt.Errorf("--jitter: expected 0..delay (%s), got %s", c.delay, c.jitter)
	case c.lossPct < 0 || c.lossPct > 100:
		return c, fmt.Errorf("--loss: expected 0..100, got %g", c.lossPct)
	case c.delay == 0 && c.lossPct == 0:
		return c, errors.New("--delay or --loss: expected at least one above 0, got neither")
	case c.maxDuration <= 0 || c.maxDuration > 24*time.Hour:
		return c, fmt.Errorf("--max-duration: expected 1s..24h, got %s", c.maxDuration)
	}
	return c, nil
}

func main() {
	c, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "gameday-netdelay:", err)
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "gameday-netdelay:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	nf, err := nfqueue.Open(&nfqueue.Config{
		NfQueue:      uint16(c.queue),
		MaxQueueLen:  8192,
		Copymode:     nfqueue.NfQnlCopyMeta, // ids only: the payload is never looked at
		Flags:        nfqueue.NfQaCfgFlagFailOpen | nfqueue.NfQaCfgFlagGSO,
		WriteTimeout: 50 * time.Millisecond,
	})
	if err != nil {
		return fmt.Errorf("open NFQUEUE %d (needs CAP_NET_ADMIN in this netns): %w", c.queue, err)
	}
	defer nf.Close()
	_ = nf.SetOption(netlink.NoENOBUFS, true)

	if c.pidFile != "" {
		if err := os.WriteFile(c.pidFile, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644); err != nil {
			return fmt.Errorf("--pidfile %s: %w", c.pidFile, err)
		}
		defer os.Remove(c.pidFile)
	}

	ctx, cancel := context.WithTimeout(context.Background(), c.maxDuration)
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()

	var (
		mu              sync.Mutex
		pending         dueHeap
		wake            = make(chan struct{}, 1)
		seen, dropped   uint64
		verdictFailures atomic.Uint64 // verdicts are given from the hook and the releaser
	)
	verdict := func(id uint32, v int) {
		if nf.SetVerdict(id, v) != nil {
			verdictFailures.Add(1) // fail-open: the kernel accepts what it cannot queue
		}
	}

	hook := func(a nfqueue.Attribute) int {
		if a.PacketID == nil {
			return 0
		}
		id := *a.PacketID
		mu.Lock()
		seen++
		if c.lossPct > 0 && rand.Float64()*100 < c.lossPct {
			dropped++
			mu.Unlock()
			verdict(id, nfqueue.NfDrop)
			return 0
		}
		d := c.delay
		if c.jitter > 0 {
			d += time.Duration(rand.Int64N(int64(2*c.jitter)+1)) - c.jitter
		}
		heap.Push(&pending, held{id: id, due: time.Now().Add(d)})
		mu.Unlock()
		select {
		case wake <- struct{}{}:
		default:
		}
		return 0
	}
	onErr := func(e error) int {
		if ctx.Err() != nil {
			return 1 // shutting down
		}
		fmt.Fprintln(os.Stderr, "gameday-netdelay: receive:", e)
		return 0
	}
	if err := nf.RegisterWithErrorFunc(ctx, hook, onErr); err != nil {
		return fmt.Errorf("register on NFQUEUE %d: %w", c.queue, err)
	}
	fmt.Fprintf(os.Stderr, "gameday-netdelay: queue %d, delay %s ±%s, loss %g%%, for at most %s\n", c.queue, c.delay, c.jitter, c.lossPct, c.maxDuration)

	// One releaser: accepts packets in due order, sleeping until the earliest is due.
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		mu.Lock()
		now := time.Now()
		for pending.Len() > 0 && !pending[0].due.After(now) {
			h := heap.Pop(&pending).(held)
			verdict(h.id, nfqueue.NfAccept)
		}
		next := time.Hour
		if pending.Len() > 0 {
			next = pending[0].due.Sub(now)
		}
		mu.Unlock()
		timer.Reset(next)
		select {
		case <-ctx.Done():
			mu.Lock()
			for pending.Len() > 0 {
				verdict(heap.Pop(&pending).(held).id, nfqueue.NfAccept)
			}
			fmt.Fprintf(os.Stderr, "gameday-netdelay: done: %d packets, %d dropped, %d verdicts failed\n", seen, dropped, verdictFailures.Load())
			mu.Unlock()
			return nil
		case <-wake:
		case <-timer.C:
		}
	}
}
