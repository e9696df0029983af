// IPv4 arithmetic for the lab subnet: parse, contain, overlap. Pure, so the bad-input tests need no root.
import { LabError } from './errors.js';

export interface Cidr {
  base: number; // network address as an unsigned 32-bit number
  prefix: number;
}

export function parseIp(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new LabError(`"${text}" is not an IPv4 address`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function parseCidr(text: string): Cidr {
  const [ip, len] = text.split('/');
  const prefix = len === undefined ? 32 : Number(len);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32 || (len !== undefined && !/^\d+$/.test(len))) {
    throw new LabError(`"${text}" is not an IPv4 CIDR`);
  }
  const size = 2 ** (32 - prefix);
  return { base: Math.floor(parseIp(ip!) / size) * size, prefix };
}

export const cidrSize = (c: Cidr): number => 2 ** (32 - c.prefix);
export const formatCidr = (c: Cidr): string => `${formatIp(c.base)}/${c.prefix}`;
export const contains = (c: Cidr, ip: number): boolean => ip >= c.base && ip < c.base + cidrSize(c);
export const overlaps = (a: Cidr, b: Cidr): boolean =>
  a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
