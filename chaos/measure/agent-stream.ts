// A long-lived command inside a task container on any swarm, through the chaos agent: the same
// stream as node-stream.ts (inner script, `__gameday_pid` line, `timeout -s KILL` bound) where no
// host engine reaches the nodes (remote DOCKER_HOST, ssh://). One Swarm service from the agent
// image per stream, pinned to the task's node, whose command is
// `docker exec -u root <cid> timeout -s KILL N sh -c <inner>` on the node's engine (socket mounted);
// its output is read by following the service log through the manager. Labelled as an agent
// service (role stream), so --recover removes what a killed run left; the bound ends the command
// inside the task container even then.
import { StringDecoder } from 'node:string_decoder';
import type Dockerode from 'dockerode';
import { newDocker } from '../../scripts/lib/docker.ts';
import { createServiceWithAuth } from '../../scripts/lib/registry-auth.ts';
import { newAgentId, removeServices } from '../agent/exec.ts';
import { AGENT_LABEL, agentServiceName, agentServiceSpec } from '../agent/spec.ts';
import type { NodeExec } from '../faults/types.ts';
import { PID_PREFIX, groupIdOf, groupKillCommand, taskStreamCommand, type StreamHandle, type TaskStreamOptions, type TaskStreamStarter } from './node-stream.ts';

export interface AgentStreamOptions {
  swarm: Dockerode;
  /** the agent image as the nodes pull it */
  image: () => Promise<string>;
  /** the agent's node exec: stop() kills the stream's process group through it */
  exec: NodeExec;
  log?: (line: string) => void;
  /** the controller's agent owner label: a supervisor that fires (controller presumed gone) removes its streams */
  owner?: string;
  /** task state poll interval (default 1000 ms) */
  pollMs?: number;
}

/** The stream service's spec (pure). */
export function agentStreamSpec(i: { id: string; image: string; node: string; containerId: string; script: string; maxSeconds: number; owner?: string }): Record<string, unknown> {
  return agentServiceSpec({
    id: i.id,
    image: i.image,
    role: 'stream',
    node: i.node,
    // tini as pid 1 (the command replaces the image's entrypoint): a removal's SIGTERM ends the CLI
    command: ['/usr/bin/tini', '--', 'docker', 'exec', '-u', 'root', i.containerId, ...taskStreamCommand(i)],
    env: { GAMEDAY_AGENT_ID: i.id },
    labels: { [`${AGENT_LABEL}.container`]: i.containerId, ...(i.owner ? { [`${AGENT_LABEL}.owner`]: i.owner } : {}) },
  });
}

export interface StreamLine {
  stream: 'stdout' | 'stderr';
  line: string;
}

/**
 * Incremental demuxer of a followed (non-TTY) log: Docker's 8-byte frame headers (stream 0/1/2,
 * three zero bytes, big-endian length), complete lines per stream, a line cut across chunks or
 * frames kept until its end arrives. A log that does not start with a frame header (a proxy that
 * already demuxed) is read as plain stdout text. Pure.
 */
export class FrameLines {
  private buf: Buffer = Buffer.alloc(0);
  private raw: boolean | undefined;
  private readonly decoder = new StringDecoder('utf8');
  private readonly partial = { stdout: '', stderr: '' };

  push(chunk: Buffer): StreamLine[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    if (this.raw === undefined) {
      if (this.buf.length < 4) return [];
      const b = this.buf;
      this.raw = !(b[0]! <= 2 && b[1] === 0 && b[2] === 0 && b[3] === 0);
    }
    const out: StreamLine[] = [];
    if (this.raw) {
      const text = this.decoder.write(this.buf);
      this.buf = Buffer.alloc(0);
      this.take('stdout', text, out);
      return out;
    }
    let i = 0;
    while (i + 8 <= this.buf.length) {
      const len = this.buf.readUInt32BE(i + 4);
      if (i + 8 + len > this.buf.length) break;
      this.take(this.buf[i] === 2 ? 'stderr' : 'stdout', this.buf.subarray(i + 8, i + 8 + len).toString('utf8'), out);
      i += 8 + len;
    }
    this.buf = this.buf.subarray(i);
    return out;
  }

  /** What is left when the log ends: unterminated last lines (as readline gives them). */
  end(): StreamLine[] {
    const out: StreamLine[] = [];
    if (this.raw) this.take('stdout', this.decoder.end(), out);
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) out.push({ stream, line: this.partial[stream].replace(/\r$/, '') });
      this.partial[stream] = '';
    }
    return out;
  }

  private take(stream: 'stdout' | 'stderr', text: string, out: StreamLine[]): void {
    const parts = (this.partial[stream] + text).split('\n');
    this.partial[stream] = parts.pop()!;
    for (const p of parts) out.push({ stream, line: p.replace(/\r$/, '') });
  }
}

const DONE = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned', 'remove']);
const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The same engine without the per-call idle timeout (a followed log is idle while the task
 * starts); every transport option is carried over: TLS material and the ssh agent. As
 * load/run/distributed.ts does for the load replicas' logs.
 */
function untimed(docker: Dockerode): Dockerode {
  const m = docker.modem as any;
  return newDocker({
    host: m.host,
    port: m.port,
    protocol: m.protocol,
    socketPath: m.socketPath,
    username: m.username,
    sshOptions: m.sshOptions,
    ca: m.ca,
    cert: m.cert,
    key: m.key,
    agent: m.agent,
  } as Dockerode.DockerOptions);
}

/** A startTaskStream that goes through the chaos agent (see the top of this file). */
export function agentTaskStreams(o: AgentStreamOptions): TaskStreamStarter {
  const pollMs = o.pollMs ?? 1000;
  let follower: Dockerode | undefined;
  return (opts: TaskStreamOptions): StreamHandle => {
    const id = newAgentId('ls');
    const name = agentServiceName(id);
    const what = `lag stream ${name} (container ${opts.containerId.slice(0, 12)} on ${opts.node})`;
    const say = (line: string) => (opts.onStderr ?? o.log)?.(line);
    let groupId: number | undefined;
    let follow: NodeJS.ReadableStream | undefined;
    let exitCode: number | null = null;
    let settle!: (code: number | null) => void;
    const done = new Promise<number | null>((r) => (settle = r));
    const frames = new FrameLines();
    const deliver = (lines: StreamLine[]) => {
      for (const { stream, line } of lines) {
        if (stream === 'stderr') opts.onStderr?.(line);
        else if (groupId === undefined && line.startsWith(PID_PREFIX)) groupId = groupIdOf(line);
        else opts.onLine(line);
      }
    };

    let created: Promise<boolean> | undefined;
    let closing: Promise<void> | undefined;
    // the one way out, whatever ends the stream: the command (killed by group when it may still
    // run), the log, the service; then done resolves
    const close = (kill: boolean): Promise<void> =>
      (closing ??= (async () => {
        const exists = await (created ?? Promise.resolve(false));
        if (kill && groupId) {
          // best effort: the container may be gone already (then the loop died with it)
          await o.exec(opts.node, groupKillCommand(opts.containerId, groupId), { timeoutMs: 20_000 }).catch((err) => o.log?.(`${what}: stopping the loop: ${errText(err)}`));
        }
        (follow as { destroy?: () => void } | undefined)?.destroy?.();
        if (exists) await removeServices(o.swarm, [name]).catch((err) => o.log?.(`could not remove ${name}: ${errText(err)} (npm run chaos -- --recover removes it)`));
        settle(exitCode);
      })());

    created = (async () => {
      try {
        const image = await o.image();
        if (closing) return false; // stopped while the image was built: nothing to start
        await createServiceWithAuth(o.swarm, agentStreamSpec({ id, image, node: opts.node, containerId: opts.containerId, script: opts.script, maxSeconds: opts.maxSeconds, owner: o.owner }));
        return true;
      } catch (err) {
        say(`${what}: not started: ${errText(err)}`);
        return false;
      }
    })();

    void (async () => {
      if (!(await created) || closing) return void close(false);
      try {
        follower ??= untimed(o.swarm);
        follow = (await follower.getService(name).logs({ stdout: true, stderr: true, follow: true } as any)) as unknown as NodeJS.ReadableStream;
        if (closing) return void (follow as { destroy?: () => void }).destroy?.(); // stopped meanwhile
        follow.on('data', (chunk: Buffer) => deliver(frames.push(chunk)));
        const ended = (why: string) => () => {
          deliver(frames.end());
          if (!closing) say(`${what}: log stream ${why}`);
          void close(true);
        };
        follow.on('end', ended('ended'));
        follow.on('error', (err) => ended(`failed: ${errText(err)}`)());
      } catch (err) {
        say(`${what}: cannot follow the log: ${errText(err)}`);
        return void close(true);
      }
      // a followed service log does not end with its task: the task's state says when it did
      const deadline = Date.now() + (Math.max(1, Math.ceil(opts.maxSeconds)) + 60) * 1000;
      let lastErr = '';
      while (!closing) {
        try {
          const t = ((await o.swarm.listTasks({ filters: { service: [name] } })) as any[])[0];
          const state = String(t?.Status?.State ?? '');
          if (DONE.has(state)) {
            const code = t.Status?.ContainerStatus?.ExitCode;
            exitCode = typeof code === 'number' ? code : null;
            if (exitCode === null) say(`${what}: agent task ${state}: ${t.Status?.Err ?? t.Status?.Message ?? 'no reason given'}`);
            return void close(false);
          }
          lastErr = '';
        } catch (err) {
          if (errText(err) !== lastErr) o.log?.(`${what}: task state: ${errText(err)}`);
          lastErr = errText(err);
        }
        if (Date.now() > deadline) {
          say(`${what}: still running past its bound; removing it`);
          return void close(true);
        }
        await new Promise((r) => setTimeout(r, pollMs).unref());
      }
    })();

    return { done, stop: () => close(true) };
  };
}
