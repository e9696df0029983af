// TLS for the RabbitMQ bus: the CA bundle, and one line for each way a connection to a broker fails.
// Node verifies the broker's chain against the CA and its name against the certificate's SANs (the
// URL's host: an IP is matched against IP SANs, a name against DNS SANs); a certificate or login
// problem is "permanent" (the bus stops waiting when every broker fails that way), the rest is
// transient (refused, reset, timed out: try the next broker).
import { readFileSync } from 'node:fs';
import type { Member } from './rabbitmq-url.js';

export interface CaBundle {
  pem: Buffer[];
  /** How error lines name it: the file path, or "the given CA bundle". */
  name: string;
}

/** Reads the CA (PEM text or a file path); an unreadable file is one line naming it. */
export function loadCa(ca: string | undefined): CaBundle | undefined {
  if (!ca) return undefined;
  if (ca.includes('-----BEGIN')) return { pem: [Buffer.from(ca)], name: 'the given CA bundle' };
  let text: string;
  try {
    text = readFileSync(ca, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(
      `The RabbitMQ CA file ${ca} cannot be read (${code}): give the PEM file of the CA that signed the brokers' certificates`,
    );
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error(
      `The RabbitMQ CA file ${ca} holds no PEM certificate: give the CA certificate in PEM form`,
    );
  }
  return { pem: [Buffer.from(text)], name: ca };
}

/** Node's codes for a chain that does not lead to a trusted CA. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

export interface ConnectFailure {
  line: string;
  /** Certificate or login problems: retrying the same broker will not help. */
  permanent: boolean;
}

/** One line (no stack, no newline) naming the broker, what went wrong and, where it helps, the fix. */
export function describeConnectError(err: unknown, m: Member, ca: CaBundle | undefined): ConnectFailure {
  const e = err as NodeJS.ErrnoException & { reason?: string; cert?: { subjectaltname?: string } };
  const msg = String(e?.message ?? err).replace(/\s+/g, ' ');
  const code = e?.code ?? '';
  const who = `RabbitMQ broker ${m.name}`;
  if (UNTRUSTED.has(code)) {
    const signer = ca ? `the CA in ${ca.name}` : 'any CA this system trusts (no CA file was given)';
    return {
      permanent: true,
      line: `${who} presented a certificate that is not signed by ${signer} (${msg}): give the CA that signed the brokers' certificates (--amqp-ca)`,
    };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const sans = e.cert?.subjectaltname ?? 'no subjectAltName';
    return {
      permanent: true,
      line: `${who} presented a certificate for ${sans}, which does not name ${m.host}: connect by an address in the certificate, or reissue it with ${m.host} in its SANs`,
    };
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return {
      permanent: true,
      line: `${who} presented a certificate that is not valid now (${msg}): renew it`,
    };
  }
  if (/ACCESS.REFUSED/.test(msg)) {
    return {
      permanent: true,
      line: `${who} refused the login (${msg}): check the user name and password in the RabbitMQ URL`,
    };
  }
  if (/NOT.ALLOWED/.test(msg)) {
    return {
      permanent: true,
      line: `${who} refused the vhost (${msg}): check the vhost in the RabbitMQ URL`,
    };
  }
  return { permanent: false, line: `${who}: ${msg}` };
}
