// Fake of `k6/metrics`: every add() is recorded as a sample.
import { fake, type FakeSample } from './state.ts';

class Metric {
  constructor(
    readonly name: string,
    private readonly type: FakeSample['type'],
  ) {}
  add(value: number | boolean, tags?: Record<string, string>): void {
    fake().samples.push({ metric: this.name, type: this.type, value: Number(value), tags: { ...(tags ?? {}) } });
  }
}
export class Trend extends Metric {
  constructor(name: string, _isTime?: boolean) {
    super(name, 'trend');
  }
}
export class Rate extends Metric {
  constructor(name: string) {
    super(name, 'rate');
  }
}
export class Counter extends Metric {
  constructor(name: string) {
    super(name, 'counter');
  }
}
export class Gauge extends Metric {
  constructor(name: string) {
    super(name, 'gauge');
  }
}
