import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where a tenant's provider base URL may point. Refused unless the operator allows it
 * (PROVIDER_ALLOW_PRIVATE_URLS): loopback, private (RFC 1918, ULA), link-local (which holds
 * the cloud metadata address 169.254.169.254), CGNAT, unspecified and multicast addresses,
 * and names that resolve to any of them. Only http(s).
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) blocked.addSubnet(net, prefix, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    // IPv4-mapped (::ffff:a.b.c.d, which URL parsing writes as ::ffff:xxxx:yyyy): check the IPv4 address.
    const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (dotted) return blocked.check(dotted[1]!, 'ipv4');
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
    if (hex) {
      const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
      return blocked.check(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, 'ipv4');
    }
    return blocked.check(address, 'ipv6');
  }
  return true;
}

export type UrlCheck = { ok: true; url: string } | { ok: false; reason: string };

export async function checkBaseUrl(raw: string, allowPrivate: boolean, resolve: (host: string) => Promise<string[]> = defaultResolve): Promise<UrlCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'baseUrl is not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'baseUrl must use http or https' };
  if (url.username || url.password) return { ok: false, reason: 'baseUrl must not carry credentials (use apiKey)' };
  if (allowPrivate) return { ok: true, url: url.toString().replace(/\/$/, '') };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal')) return { ok: false, reason: 'baseUrl points at a private address' };
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    return { ok: false, reason: 'baseUrl host does not resolve' };
  }
  if (!addresses.length || addresses.some(isPrivateAddress)) return { ok: false, reason: 'baseUrl points at a private, loopback, link-local or metadata address' };
  return { ok: true, url: url.toString().replace(/\/$/, '') };
}

async function defaultResolve(host: string): Promise<string[]> {
  return (await lookup(host, { all: true })).map((a) => a.address);
}
