import { CircuitBreakers } from './breaker';

describe('circuit breaker', () => {
  let now = 0;
  const breakers = () => new CircuitBreakers({ threshold: 3, cooldownMs: 1000, now: () => now });

  it('opens after N consecutive failures, skips, lets one probe through after the cool-down, closes on success', () => {
    now = 0;
    const b = breakers();
    b.failure('m', 'HTTP 500');
    b.success('m'); // a success in between resets the count
    for (let i = 0; i < 3; i++) {
      expect(b.tryAcquire('m')).toBe(true);
      b.failure('m', 'HTTP 503');
    }
    expect(b.health('m')).toEqual({ state: 'OPEN', consecutiveFailures: 3, lastError: 'HTTP 503' });
    expect(b.tryAcquire('m')).toBe(false);
    now = 1000;
    expect(b.health('m').state).toBe('HALF_OPEN');
    expect(b.tryAcquire('m')).toBe(true); // the probe
    expect(b.tryAcquire('m')).toBe(false); // only one at a time
    b.success('m');
    expect(b.health('m')).toEqual({ state: 'CLOSED', consecutiveFailures: 0, lastError: 'HTTP 503' });
  });

  it('a failed probe opens it again for a whole cool-down', () => {
    now = 0;
    const b = breakers();
    for (let i = 0; i < 3; i++) b.failure('m', 'timed out');
    now = 1500;
    expect(b.tryAcquire('m')).toBe(true);
    b.failure('m', 'timed out');
    expect(b.health('m').state).toBe('OPEN');
    now = 2400;
    expect(b.isAvailable('m')).toBe(false);
    now = 2500;
    expect(b.isAvailable('m')).toBe(true);
  });
});
