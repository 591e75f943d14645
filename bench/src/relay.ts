/**
 * The floor of any Node process between the client and the subgraphs, for `npm run bench`:
 * a bare HTTP server that, for `POST /<case>`, sends that case's plan fetches (RELAY_STEPS:
 * the physical limit's steps, by case) in sequence — each with the caller's identity header
 * for its audience, forwarded as `x-switchboard-identity-<subgraph>` like Hive Gateway gets
 * it, the representations built from the first answer as the physical limit builds them —
 * and answers with the last answer's body. No GraphQL, no merging, no edge: what is left is
 * one more process on the path (a server exchange, the client exchanges, JSON in and out).
 * Its overhead over the plan's fetches sent directly is the part of a gateway's overhead
 * that no gateway written for Node can remove on the machine it runs on. RELAY_STEPS, PORT.
 */
import { IDENTITY_HEADER } from '@switchboard/kit';
import http from 'node:http';
import { stepVariables, type Step } from './measure';

const steps = JSON.parse(process.env.RELAY_STEPS!) as Record<string, Step[]>;
const agent = new http.Agent({ keepAlive: true, scheduling: 'lifo' });

function post(url: string, headers: http.OutgoingHttpHeaders, body: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function answer(req: http.IncomingMessage, plan: Step[]): Promise<Buffer> {
  const answers: unknown[] = [];
  let last: Buffer = Buffer.alloc(0);
  for (const step of plan) {
    const identity = req.headers[`${IDENTITY_HEADER}-${step.audience}`];
    last = await post(step.url, identity ? { [IDENTITY_HEADER]: identity } : {}, JSON.stringify({ query: step.query, variables: stepVariables(step, answers) }));
    // Only a later step reads an answer: the last one is passed through unparsed.
    if (step !== plan[plan.length - 1]) answers.push(JSON.parse(last.toString('utf8')));
  }
  return last;
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') {
    res.end('ok');
    return;
  }
  const plan = steps[(req.url ?? '').slice(1)];
  req.resume();
  req.on('end', () => {
    if (!plan) {
      res.statusCode = 404;
      res.end();
      return;
    }
    answer(req, plan).then(
      (body) => {
        res.setHeader('content-type', 'application/json');
        res.end(body);
      },
      (error: Error) => {
        res.statusCode = 502;
        res.end(JSON.stringify({ errors: [{ message: error.message }] }));
      },
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
