import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Checks an HMAC-SHA256 signature of the raw request body, as GitHub sends it
 * (`sha256=<hex>`) or bare hex. Compared in constant time, so the check does not
 * tell an attacker how much of a forged signature was right.
 */
export function verifySignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const given = header.trim().replace(/^sha256=/i, '');
  if (!/^[0-9a-f]{64}$/i.test(given)) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}

/** `sha256=<hex>` for a body: what a sender puts in the signature header. */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Compares two secrets in constant time (a bearer token against the expected one). */
export function sameSecret(given: string, expected: string): boolean {
  // Hash both first: timingSafeEqual needs equal lengths, and comparing lengths would leak the token's.
  const a = createHmac('sha256', 'orchestrate-compare').update(given).digest();
  const b = createHmac('sha256', 'orchestrate-compare').update(expected).digest();
  return timingSafeEqual(a, b);
}
