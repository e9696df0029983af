// Errors of the REST client, as data. The CLI boundary (main.ts) turns them into one-line messages.

/** The manager answered with an HTTP error: Cloudify's {message, error_code, server_traceback}. */
export class CloudifyClientError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errorCode: string | null = null,
    readonly serverTraceback: string | null = null,
  ) {
    super(message);
  }
}

/** No answer at the TCP/HTTP level: refused, unreachable, the 5 s connect timeout, a reset. */
export class ConnectionFailure extends Error {
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(`REST service at manager ${host} is not responding!`);
  }
}

/** The manager's certificate did not verify against the CA in use. */
export class CertificateFailure extends Error {
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(`SSL certificate verification failed for the manager at ${host}: ${reason}`);
  }
}

/** Every node of a cluster profile failed with a connection error or HTTP 502. */
export class AllNodesOffline extends Error {
  constructor(readonly tried: { host: string; reason: string }[]) {
    super(`All cluster nodes are offline (tried ${tried.map((t) => `${t.host}: ${t.reason}`).join('; ')})`);
  }
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export const isTlsVerificationError = (e: unknown): boolean =>
  TLS_CODES.has((e as { code?: string })?.code ?? '');
