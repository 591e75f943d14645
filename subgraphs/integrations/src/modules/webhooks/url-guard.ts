import { BadInputError } from '@switchboard/kit';
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Resolves a host name to every address it has (injectable: tests use a hosts map). */
export type Resolver = (hostname: string) => Promise<{ address: string; family: 4 | 6 }[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** Cloud metadata services: refused whatever WEBHOOK_ALLOW_PRIVATE_URLS says. */
const METADATA = new BlockList();
METADATA.addAddress('169.254.169.254', 'ipv4');
METADATA.addAddress('fd00:ec2::254', 'ipv6');

/** Private, loopback, link-local, unspecified, CGNAT, multicast, and their IPv6 forms. */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6');

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is checked as the IPv4 address it is. */
function normalize(address: string): { address: string; type: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, type: 'ipv4' };
  return { address, type: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export function isMetadataAddress(address: string): boolean {
  const a = normalize(address);
  return METADATA.check(a.address, a.type);
}

export function isPrivateAddress(address: string): boolean {
  const a = normalize(address);
  return PRIVATE.check(a.address, a.type);
}

export interface UrlPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
  resolve: Resolver;
}

/** Why an address may not be called, or undefined when it may. */
export function addressRefusal(address: string, policy: Pick<UrlPolicy, 'allowPrivate'>): string | undefined {
  if (isMetadataAddress(address)) return `${address} is a cloud metadata address`;
  if (!policy.allowPrivate && isPrivateAddress(address)) return `${address} is a private, loopback or link-local address`;
  return undefined;
}

/** The URL's shape: http(s) only, https unless allowed, no credentials in it. Throws BAD_USER_INPUT naming `field`. */
export function checkUrlShape(raw: string, policy: Pick<UrlPolicy, 'allowHttp'>, field = 'url'): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BadInputError(field, `${field} is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new BadInputError(field, `${field} must use https (got ${url.protocol})`);
  if (url.protocol === 'http:' && !policy.allowHttp) throw new BadInputError(field, `${field} must use https`);
  if (url.username || url.password) throw new BadInputError(field, `${field} must not carry credentials`);
  if (raw.length > 2048) throw new BadInputError(field, `${field} is longer than 2048 characters`);
  return url;
}

/**
 * Every address the URL's host resolves to, each checked: one refused address refuses the
 * URL (so a name with one public and one private record does not pass). Throws
 * BAD_USER_INPUT naming `field`; answers the checked addresses.
 */
export async function resolveAndCheck(url: URL, policy: UrlPolicy, field = 'url'): Promise<{ address: string; family: 4 | 6 }[]> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: { address: string; family: 4 | 6 }[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
  else {
    try {
      addresses = await policy.resolve(host);
    } catch {
      throw new BadInputError(field, `${field}: the host ${host} does not resolve`);
    }
    if (!addresses.length) throw new BadInputError(field, `${field}: the host ${host} does not resolve`);
  }
  for (const a of addresses) {
    const why = addressRefusal(a.address, policy);
    if (why) throw new BadInputError(field, `${field} is not allowed: ${why}`);
  }
  return addresses;
}

export async function checkWebhookUrl(raw: string, policy: UrlPolicy, field = 'url'): Promise<URL> {
  const url = checkUrlShape(raw, policy, field);
  await resolveAndCheck(url, policy, field);
  return url;
}
