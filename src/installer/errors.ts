// The installer's exception classes, named as Cloudify names them (reference §1.1): a failure is logged
// as `<ErrorClass>: <message>` and exits 1. `fix` is an optional second line that says what to do.
export class BootstrapError extends Error {
  readonly fix: string | undefined;
  constructor(message: string, opts: { fix?: string } = {}) {
    super(message);
    this.name = new.target.name;
    this.fix = opts.fix;
  }
}
export class FileError extends BootstrapError {}
export class NetworkError extends BootstrapError {}
/** A config or host check failed; raised before anything on the host changes. */
export class ValidationError extends BootstrapError {}
export class InputError extends BootstrapError {}
export class ClusteringError extends BootstrapError {}
/** apt-get failed or a package has the wrong version (Cloudify's YumError). */
export class AptError extends BootstrapError {}
export class ProcessExecutionError extends BootstrapError {
  readonly returnCode: number;
  constructor(message: string, returnCode: number) {
    super(message);
    this.returnCode = returnCode;
  }
}

/** These three derive straight from Error in Cloudify. */
export class DBNodeListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DBNodeListError';
  }
}
export class DBManagementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DBManagementError';
  }
}
export class RabbitNodeListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RabbitNodeListError';
  }
}

/** The one line an operator sees for a failure. */
export function errorLine(err: unknown): string {
  if (err instanceof Error) {
    const fix = err instanceof BootstrapError && err.fix ? `\n${err.fix}` : '';
    return `${err.name}: ${err.message}${fix}`;
  }
  return `Error: ${String(err)}`;
}
