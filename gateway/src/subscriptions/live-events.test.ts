import { EventEmitter } from 'node:events';
import type { Redis } from '@switchboard/kit';
import { LiveEvents } from './live-events';

/**
 * The gap after a lost Redis connection (found by `npm run chaos`): pub/sub keeps nothing,
 * so events published while the gateway's subscriber connection was down never arrive.
 * LiveEvents says so (`onGap`) once the connection is back and its channels are subscribed
 * again, and only then; the server closes the affected sockets with 1013 so clients catch up.
 */
class FakeSubscriber extends EventEmitter {
  subscribes: string[][] = [];
  private acks: (() => void)[] = [];
  subscribe(...channels: string[]) {
    this.subscribes.push(channels);
    return new Promise<void>((resolve) => this.acks.push(resolve));
  }
  ack() {
    for (const a of this.acks.splice(0)) a();
  }
  unsubscribe() {
    return Promise.resolve();
  }
  disconnect() {}
}

function fakeRedis(sub: FakeSubscriber): Redis {
  return { duplicate: () => sub } as unknown as Redis;
}

const flush = () => new Promise((r) => setImmediate(r));

it('reports a gap once the lost connection is back and its channels are subscribed again', async () => {
  const sub = new FakeSubscriber();
  const gaps: number[] = [];
  const live = new LiveEvents(fakeRedis(sub), () => {}, () => gaps.push(Date.now()));
  sub.emit('ready');
  live.listen('t1', () => {});
  sub.ack();
  await flush();
  expect(gaps).toHaveLength(0); // the first connection is no gap

  sub.emit('close');
  await flush();
  expect(gaps).toHaveLength(0); // still down: nothing to catch up with yet

  sub.emit('ready');
  await flush();
  expect(sub.subscribes.at(-1)).toEqual(['switchboard:live:t1']);
  expect(gaps).toHaveLength(0); // not before the channels are subscribed again
  sub.ack();
  await flush();
  expect(gaps).toHaveLength(1);

  sub.emit('ready'); // a ready without a lost connection before it
  sub.ack();
  await flush();
  expect(gaps).toHaveLength(1);
  live.close();
});

it('reports no gap after it was closed, and none for a connection that never came up before', async () => {
  const sub = new FakeSubscriber();
  const gaps: number[] = [];
  const live = new LiveEvents(fakeRedis(sub), () => {}, () => gaps.push(1));
  sub.emit('close'); // Redis unreachable at start
  sub.emit('ready'); // first connection
  await flush();
  expect(gaps).toHaveLength(0);
  sub.emit('close');
  live.close();
  sub.emit('ready');
  sub.ack();
  await flush();
  expect(gaps).toHaveLength(0);
});
