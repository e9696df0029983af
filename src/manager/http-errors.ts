// How errors become HTTP answers ({message, error_code, server_traceback}). Bad input is a 4xx
// with a clear message, whichever layer notices it: a NUL character is refused before any handler
// (PostgreSQL stores none), a malformed multipart body or a value PostgreSQL cannot take (its
// "data exception" class) is 400. Only an unexpected failure is a 500, and its stack trace is in
// server_traceback only in debug mode.
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { badParameters, CloudifyError } from '../common/errors.js';
import { sqlState } from '../store/port.js';

/** 400 when a path parameter, a query argument or a JSON body (keys and strings) holds U+0000. */
export function rejectNul(req: FastifyRequest): void {
  const where = nulIn(req.params)
    ? 'the URL path'
    : nulIn(req.query)
      ? 'the query string'
      : nulIn(req.body)
        ? 'the request body'
        : '';
  if (where)
    throw badParameters(
      `${where[0]!.toUpperCase()}${where.slice(1)} contains a NUL character (\\u0000, %00), which is not allowed`,
    );
}

function nulIn(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return v.includes('\0');
  if (!v || typeof v !== 'object' || Buffer.isBuffer(v) || depth > 64) return false;
  if (Array.isArray(v)) return v.some((x) => nulIn(x, depth + 1));
  return Object.entries(v).some(([k, x]) => k.includes('\0') || nulIn(x, depth + 1));
}

/** The multipart parser's complaints about the body itself (busboy's messages). */
const MULTIPART_FAULT =
  /^(Unexpected end of (multipart data|form)|Malformed part header|Multipart: Boundary not found|Part terminated early|Malformed urlencoded form)/;

export function installErrorHandling(app: FastifyInstance, opts: { debug: boolean }): void {
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({
      message: `Requested URL ${req.url} was not found`,
      error_code: 'not_found_error',
      server_traceback: null,
    });
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const send = (status: number, code: string, message: string, traceback: string | null = null) =>
      reply.code(status).send({ message, error_code: code, server_traceback: traceback });
    if (err instanceof CloudifyError) return send(err.status, err.errorCode, err.message);
    if (err.validation)
      return send(
        400,
        'bad_parameters_error',
        `${err.validationContext ?? 'request'} ${err.message}`.replace(/^(\w+) \1/, '$1'),
      );
    switch (err.code) {
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return send(415, 'unsupported_content_type_error', 'Content type must be application/json');
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
      case 'FST_REQ_FILE_TOO_LARGE':
        return send(413, 'payload_too_large_error', `The request body is over the limit: ${err.message}`);
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return send(400, 'bad_parameters_error', `Malformed JSON in the request body: ${err.message}`);
      case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      case 'FST_PARTS_LIMIT':
      case 'FST_FILES_LIMIT':
      case 'FST_FIELDS_LIMIT':
        return send(400, 'bad_parameters_error', err.message);
    }
    if (MULTIPART_FAULT.test(err.message ?? ''))
      return send(400, 'bad_parameters_error', `The multipart request body is malformed: ${err.message}`);
    const state = sqlState(err);
    if (state === '23505')
      return send(409, 'conflict_error', `A resource with this id already exists: ${err.message}`);
    // Class 22, "data exception": a value of the request the database cannot take.
    if (state?.startsWith('22'))
      return send(400, 'bad_parameters_error', `A value in the request is not valid: ${err.message}`);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return send(
        err.statusCode,
        err.statusCode === 404 ? 'not_found_error' : 'bad_parameters_error',
        err.message,
      );
    }
    req.log.error({ err }, 'unhandled error');
    return send(
      500,
      'internal_server_error',
      `Internal error occurred in manager REST server - ${err.message}`,
      opts.debug ? (err.stack ?? null) : null,
    );
  });
}
