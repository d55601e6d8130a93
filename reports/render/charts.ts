// ECharts options for the HTML report, built here (pure, testable) and embedded as JSON. Every time
// chart gets the chaos faults as shaded bands (markArea). Options are plain data: where ECharts
// needs a function (the placement timeline's renderItem and tooltip), the option names it and
// reports/templates/report.client.js supplies it.
import type { RunResult } from '../model.ts';

export interface ChartSpec {
  id: string;
  title: string;
  height: number;
  /** time charts carry the fault bands; the browser test checks them */
  timeAxis: boolean;
  option: Record<string, unknown>;
}

const FAULT_COLOR = 'rgba(214, 39, 40, 0.13)';
const PALETTE = ['#2f6fdf', '#e8871e', '#2a9d5c', '#9b59b6', '#17becf', '#8c564b', '#bcbd22', '#e377c2', '#393b79', '#7f7f7f']; // red is kept for errors and failed tasks

function faultBands(r: RunResult): { silent: boolean; itemStyle: object; label: object; data: unknown[] } | undefined {
  const faults = r.chaos?.faults ?? [];
  if (!faults.length) return undefined;
  const end = r.timeseries?.end ?? Math.max(...faults.map((f) => f.end ?? f.start));
  return {
    silent: false,
    itemStyle: { color: FAULT_COLOR },
    label: { show: true, position: 'insideTop', fontSize: 10, color: '#a11', overflow: 'truncate' },
    data: faults.map((f) => [{ name: f.name, xAxis: f.start }, { xAxis: f.end ?? end }]),
  };
}

function timeRange(r: RunResult): { min?: number; max?: number } {
  const starts: number[] = [];
  const ends: number[] = [];
  if (r.timeseries && r.timeseries.end > r.timeseries.start) {
    starts.push(r.timeseries.start);
    ends.push(r.timeseries.end);
  }
  for (const f of r.chaos?.faults ?? []) {
    starts.push(f.start);
    ends.push(f.end ?? f.start);
  }
  for (const e of r.chaos?.experiments ?? [])
    for (const p of e.phases) {
      starts.push(p.start);
      ends.push(p.end);
    }
  return starts.length ? { min: Math.min(...starts), max: Math.max(...ends) } : {};
}

function base(r: RunResult, yName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    animation: false,
    color: PALETTE,
    grid: { left: 60, right: 60, top: 40, bottom: 60 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'line' } },
    legend: { type: 'scroll', top: 0 },
    xAxis: { type: 'time', ...timeRange(r) },
    yAxis: { type: 'value', name: yName, nameTextStyle: { align: 'left' } },
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 8 }],
    ...extra,
  };
}

/** Attaches the fault bands to the first series of a time chart. */
function withBands(r: RunResult, series: Record<string, unknown>[]): Record<string, unknown>[] {
  const bands = faultBands(r);
  if (bands && series[0]) series[0] = { ...series[0], markArea: bands };
  return series;
}

function line(name: string, data: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, type: 'line', showSymbol: false, connectNulls: false, data, ...extra };
}

export function buildCharts(r: RunResult): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const ts = r.timeseries;
  if (ts && ts.overall.length) {
    const sec = ts.bucketMs / 1000;
    const per = ts.bucketMs === 1000 ? 'per second' : `per ${sec} s bucket`;
    charts.push({
      id: 'latency',
      title: `Latency percentiles over time (all requests, ${per}; per-endpoint p95 in the legend)`,
      height: 340,
      timeAxis: true,
      option: base(r, 'ms', {
        legend: {
          type: 'scroll',
          top: 0,
          selected: Object.fromEntries(ts.endpoints.map((e) => [`p95 ${e.endpoint}`, false])),
        },
        series: withBands(r, [
          line('p50', ts.overall.map((b) => [b.t, b.p50])),
          line('p95', ts.overall.map((b) => [b.t, b.p95])),
          line('p99', ts.overall.map((b) => [b.t, b.p99])),
          ...ts.endpoints.map((e) => line(`p95 ${e.endpoint}`, e.buckets.map((b) => [b.t, b.p95]), { lineStyle: { type: 'dashed', width: 1 } })),
        ]),
      }),
    });

    const series: Record<string, unknown>[] = [
      line('requests/s', ts.overall.map((b) => [b.t, round2(b.n / sec)]), { areaStyle: { opacity: 0.15 } }),
      ...ts.endpoints.map((e) => line(`${e.endpoint} req/s`, e.buckets.map((b) => [b.t, round2(b.n / sec)]), { lineStyle: { width: 1 } })),
    ];
    if (ts.dropped.length) series.push({ name: 'dropped iterations', type: 'bar', data: ts.dropped.map(([t, v]) => [t, v]), itemStyle: { color: '#d62728' } });
    if (ts.vus.length) series.push(line('VUs', ts.vus.map(([t, v]) => [t, v]), { yAxisIndex: 1, step: 'end', lineStyle: { type: 'dotted' } }));
    charts.push({
      id: 'throughput',
      title: `Request rate over time (${per}), dropped iterations and VUs`,
      height: 320,
      timeAxis: true,
      option: base(r, 'req/s', {
        yAxis: [
          { type: 'value', name: 'req/s' },
          { type: 'value', name: 'VUs', splitLine: { show: false } },
        ],
        legend: { type: 'scroll', top: 0, selected: Object.fromEntries(ts.endpoints.map((e) => [`${e.endpoint} req/s`, false])) },
        series: withBands(r, series),
      }),
    });

    const kinds = [...new Set(ts.errors.flatMap((e) => Object.keys(e.kinds)))].sort();
    const errByT = new Map(ts.errors.map((e) => [e.t, e.kinds]));
    const errSeries: Record<string, unknown>[] = [
      line('error rate', ts.overall.map((b) => [b.t, b.n ? round2((100 * b.failed) / b.n) : 0]), { yAxisIndex: 1, itemStyle: { color: '#d62728' } }),
      ...kinds.map((k) => ({
        name: `${k} /s`,
        type: 'bar',
        stack: 'errors',
        data: ts.overall.map((b) => [b.t, round2((errByT.get(b.t)?.[k] ?? 0) / sec)]),
      })),
    ];
    charts.push({
      id: 'errors',
      title: `Errors over time: failed requests by kind (${per}) and error rate`,
      height: 300,
      timeAxis: true,
      option: base(r, 'failed/s', {
        yAxis: [
          { type: 'value', name: 'failed/s', minInterval: 1 },
          { type: 'value', name: 'error %', min: 0, splitLine: { show: false } },
        ],
        series: withBands(r, errSeries),
      }),
    });

    if (ts.custom.length)
      charts.push({
        id: 'custom',
        title: 'Custom metrics over time (p50 / p95 per bucket), e.g. read-your-writes lag',
        height: 300,
        timeAxis: true,
        option: base(r, 'ms', {
          series: withBands(
            r,
            ts.custom.flatMap((c) => [
              line(`${c.metric} p50`, c.buckets.map((b) => [b.t, b.p50])),
              line(`${c.metric} p95`, c.buckets.map((b) => [b.t, b.p95]), { lineStyle: { type: 'dashed' } }),
            ]),
          ),
        }),
      });
  }

  const probe = r.chaos?.probe;
  if (probe && probe.timeseries.length) {
    const series: Record<string, unknown>[] = [];
    for (const e of probe.endpoints) {
      const rows = probe.timeseries.filter((p) => p.endpoint === e);
      series.push(line(`${e} availability %`, rows.map((p) => [p.t, round2((100 * p.ok) / Math.max(1, p.ok + p.failed))])));
    }
    for (const e of probe.endpoints) {
      const rows = probe.timeseries.filter((p) => p.endpoint === e);
      series.push({ name: `${e} failed/s`, type: 'bar', stack: 'failed', yAxisIndex: 1, data: rows.map((p) => [p.t, p.failed]) });
    }
    charts.push({
      id: 'probe',
      title: 'Availability probe (open loop, fixed rate): success per second and failed probes',
      height: 300,
      timeAxis: true,
      option: base(r, '%', {
        yAxis: [
          { type: 'value', name: 'availability %', min: 0, max: 100 },
          { type: 'value', name: 'failed/s', minInterval: 1, splitLine: { show: false } },
        ],
        series: withBands(r, series),
      }),
    });
  }

  const lag = r.chaos?.lag;
  const rw = r.chaos?.rwLag;
  if ((lag && lag.replicas.length) || (rw && rw.samples.length)) {
    const series: Record<string, unknown>[] = [];
    for (const rep of lag?.replicas ?? []) series.push(line(`${rep.replica} heartbeat lag`, rep.samples.map(([t, hb]) => [t, hb])));
    if (rw && rw.samples.length)
      series.push({
        name: 'read-your-writes (API)',
        type: 'scatter',
        symbolSize: 4,
        // not visible in time: drawn at the top of the chart in red
        data: rw.samples.map(([t, v]) => (v === null ? { value: [t, rw.max ?? 0], itemStyle: { color: '#d62728' } } : [t, v])),
      });
    for (const rep of lag?.replicas ?? [])
      series.push(
        line(`${rep.replica} Seconds_Behind_Master`, rep.samples.map(([t, , sbm]) => [t, sbm === null ? null : sbm * 1000]), {
          lineStyle: { type: 'dashed', width: 1 },
          step: 'end',
        }),
      );
    charts.push({
      id: 'lag',
      title: 'Replication lag per replica: heartbeat (ms resolution), Seconds_Behind_Master (as ms; gaps = thread stopped), read-your-writes lag through the API (dots)',
      height: 320,
      timeAxis: true,
      option: base(r, 'ms', { series: withBands(r, series) }),
    });
  }

  const pl = r.chaos?.placement;
  if (pl && pl.segments.length) {
    const services = pl.services;
    const stateColor: Record<string, string> = { failed: '#d62728', rejected: '#d62728', shutdown: '#999999', complete: '#bbbbbb', orphaned: '#999999' };
    const lanes = placementLanes(pl.segments);
    const data = pl.segments.map((s) => {
      const lane = lanes.get(`${s.node}\u0000${s.task}`)!;
      return {
        name: `${s.service}${s.slot !== null ? `.${s.slot}` : ''}`,
        value: [pl.nodes.indexOf(s.node), s.start, s.end, lane.lane, lane.of],
        meta: { service: s.service, slot: s.slot, task: s.task, node: s.node, state: s.state },
        itemStyle: { color: stateColor[s.state] ?? PALETTE[services.indexOf(s.service) % PALETTE.length], opacity: s.state === 'running' ? 0.9 : 0.55 },
      };
    });
    charts.push({
      id: 'placement',
      title: `Task placement per node over time (${pl.changes} state changes; grey/red = stopped/failed)`,
      height: 120 + pl.nodes.length * 70,
      timeAxis: true,
      option: {
        animation: false,
        tooltip: { trigger: 'item', formatter: '__placementTooltip__' },
        grid: { left: 130, right: 30, top: 30, bottom: 60 },
        xAxis: { type: 'time', ...timeRange(r) },
        yAxis: { type: 'category', data: pl.nodes, inverse: true },
        dataZoom: [{ type: 'inside', filterMode: 'weakFilter' }, { type: 'slider', height: 18, bottom: 8, filterMode: 'weakFilter' }],
        legend: { show: false },
        series: withBands(r, [
          {
            name: 'tasks',
            type: 'custom',
            renderItem: '__placementRenderItem__',
            encode: { x: [1, 2], y: 0 },
            data,
          },
        ]),
      },
    });
  }

  // live metrics (Prometheus, issue 13): one chart per query, under the same fault bands
  for (const c of r.liveMetrics?.charts ?? []) {
    if (!c.series.length) continue;
    charts.push({
      id: c.id,
      title: c.title,
      height: 280,
      timeAxis: true,
      option: base(r, c.unit, { series: withBands(r, c.series.map((s) => line(s.name, s.points))) }),
    });
  }
  return charts;
}

/**
 * One lane per task on each node for the task's whole stay there (its segments share it); lanes are
 * reused once a task has left (greedy interval partitioning), so a node row stays readable.
 */
export function placementLanes(segments: { node: string; task: string; start: number; end: number }[]): Map<string, { lane: number; of: number }> {
  const stays = new Map<string, { node: string; key: string; start: number; end: number }>();
  for (const s of segments) {
    const key = `${s.node}\u0000${s.task}`;
    const st = stays.get(key);
    if (!st) stays.set(key, { node: s.node, key, start: s.start, end: s.end });
    else {
      st.start = Math.min(st.start, s.start);
      st.end = Math.max(st.end, s.end);
    }
  }
  const out = new Map<string, { lane: number; of: number }>();
  const byNode = new Map<string, { key: string; start: number; end: number }[]>();
  for (const st of stays.values()) byNode.set(st.node, [...(byNode.get(st.node) ?? []), st]);
  for (const list of byNode.values()) {
    list.sort((a, b) => a.start - b.start || a.key.localeCompare(b.key));
    const laneEnds: number[] = [];
    const assigned: [string, number][] = [];
    for (const st of list) {
      let lane = laneEnds.findIndex((e) => e <= st.start);
      if (lane < 0) lane = laneEnds.push(st.end) - 1;
      else laneEnds[lane] = st.end;
      assigned.push([st.key, lane]);
    }
    for (const [key, lane] of assigned) out.set(key, { lane, of: laneEnds.length });
  }
  return out;
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
