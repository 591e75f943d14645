/**
 * Preloaded into our gateway by `BENCH_TIMELINE=1 npm run bench` (`node -r`): where the
 * wall time of a request goes at one connection. It marks, per request, when the HTTP
 * request arrives (Node's `http.server.request.start`), when Apollo Server is handed it
 * (`executeHTTPGraphQLRequest`), when @apollo/gateway starts and ends executing the plan
 * (`executeQueryPlan`), when each subgraph fetch goes out and its answer's headers come
 * back (`http.client.request.start` / `http.client.response.finish`), and when the response
 * is handed to Node (`res.end`). Only requests that had the process to
 * themselves count (a request that overlapped another is dropped), so the figures are the
 * one-connection phase's. At exit it writes, per operation and per sequence of marks (a
 * request with a principal lookup has one more fetch before Apollo), the median of each
 * step to TIMELINE_OUT as JSON. Plain CommonJS: it is loaded before the TypeScript hook.
 */
const dc = require('node:diagnostics_channel');
const fs = require('node:fs');
const http = require('node:http');

const now = () => Number(process.hrtime.bigint()) / 1e6;
/** The request marks go to: the one in flight, when it is alone. */
let current = null;
let inflight = 0;
const finished = [];

const mark = (name) => {
  if (current) current.marks.push([name, now()]);
};

let patched = false;
/** Wraps Apollo's two entry points, once they are loaded (at the first request: loading order is the gateway's). */
function patch() {
  patched = true;
  for (const [file, entry] of Object.entries(require.cache)) {
    const exports = entry.exports;
    if (file.endsWith('/@apollo/server/dist/cjs/ApolloServer.js')) {
      const proto = exports.ApolloServer.prototype;
      const original = proto.executeHTTPGraphQLRequest;
      proto.executeHTTPGraphQLRequest = function (...args) {
        mark('apollo');
        return original.apply(this, args);
      };
    } else if (file.endsWith('/@apollo/gateway/dist/executeQueryPlan.js')) {
      // The gateway calls it through this exports object (`(0, executeQueryPlan_1.executeQueryPlan)(…)`).
      const original = exports.executeQueryPlan;
      exports.executeQueryPlan = async function (...args) {
        mark('plan');
        try {
          return await original.apply(this, args);
        } finally {
          mark('shaped');
        }
      };
    }
  }
}

dc.subscribe('http.server.request.start', ({ request }) => {
  if (!request.url.startsWith('/graphql')) return;
  if (!patched) patch();
  inflight++;
  const record = { marks: [['in', now()]], alone: inflight === 1 };
  if (current) current.alone = false;
  current = inflight === 1 ? record : null;
  request.timeline = record;
});
dc.subscribe('http.client.request.start', () => mark('fetch>'));
dc.subscribe('http.client.response.finish', () => mark('fetch<'));
// The response is done when the gateway hands its last bytes to Node (`res.end`): on a
// kept-alive connection the client's next request can arrive before 'finish' is emitted.
const end = http.ServerResponse.prototype.end;
http.ServerResponse.prototype.end = function (...args) {
  const request = this.req;
  const record = request && request.timeline;
  if (record && !record.done) {
    record.done = true;
    inflight--;
    if (current === record) current = null;
    record.marks.push(['out', now()]);
    if (record.alone) {
      const body = request.body ?? {};
      record.operation = body.operationName ?? /^\s*(?:query|mutation)\s+(\w+)/.exec(body.query ?? '')?.[1] ?? 'anonymous';
      finished.push(record);
    }
  }
  return end.apply(this, args);
};

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

process.on('exit', () => {
  if (!process.env.TIMELINE_OUT) return;
  const groups = new Map();
  for (const record of finished) {
    const shape = record.marks.map(([name]) => name).join(' ');
    const key = `${record.operation}\u0000${shape}`;
    if (!groups.has(key)) groups.set(key, { operation: record.operation, shape, records: [] });
    groups.get(key).records.push(record);
  }
  const out = [...groups.values()].map(({ operation, shape, records }) => {
    const names = shape.split(' ');
    return {
      operation,
      requests: records.length,
      steps: names.slice(1).map((name, i) => ({ from: names[i], to: name, ms: median(records.map((r) => r.marks[i + 1][1] - r.marks[i][1])) })),
      totalMs: median(records.map((r) => r.marks.at(-1)[1] - r.marks[0][1])),
    };
  });
  fs.writeFileSync(process.env.TIMELINE_OUT, JSON.stringify(out));
});
