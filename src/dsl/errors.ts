// DSL errors carry the reference parser's numeric code and exception class name, so API clients
// that switch on them (and our fixtures) see the same values as on Cloudify.

export type DslErrorClass =
  | 'DSLParsingException'
  | 'DSLParsingFormatException'
  | 'DSLParsingLogicException'
  | 'DSLParsingInputTypeException'
  | 'DSLParsingSchemaAPIException'
  | 'UnknownInputError'
  | 'InputEvaluationError'
  | 'MissingRequiredInputError'
  | 'FunctionValidationError'
  | 'FunctionEvaluationError'
  | 'ScannerError'
  | 'ComposerError'
  | 'EvaluationRecursionLimitReached'
  | 'ConstraintException'
  | 'UnknownSecretError'
  | 'UnknownSysEntityError'
  | 'UnknownSysPropertyError'
  | 'NonRecoverableError'
  | 'ValueError'
  | 'KeyError'
  | 'TypeError'
  | 'UnsupportedRelationship'
  | 'UnsupportedAllToOneInGroup'
  | 'IllegalConnectedToConnectionType';

export class DslError extends Error {
  readonly code: number | null;
  readonly errorClass: DslErrorClass;
  /** 1-based position in the file, when known (YAML syntax errors). */
  line?: number;
  column?: number;
  constructor(code: number | null, message: string, errorClass?: DslErrorClass) {
    super(message);
    this.name = 'DslError';
    this.code = code;
    this.errorClass = errorClass ?? (code === 1 ? 'DSLParsingFormatException' : 'DSLParsingLogicException');
  }
}

/** Schema mismatch (code 1, DSLParsingFormatException). */
export const formatError = (message: string, path?: string): DslError =>
  new DslError(1, path ? `${message} (path: ${path})` : message, 'DSLParsingFormatException');

export const logicError = (code: number, message: string): DslError =>
  new DslError(code, message, 'DSLParsingLogicException');

/** Errors of other reference classes that have no numeric code. */
export const plainError = (errorClass: DslErrorClass, message: string): DslError =>
  new DslError(null, message, errorClass);

// Named codes used across the parser (dsl_parser/exceptions.py ERROR_*).
export const ERR = {
  CYCLE: 100,
  UNKNOWN_TYPE: 103,
  VALUE_TYPE_MISMATCH: 105,
  UNDEFINED_PROPERTY: 106,
  MISSING_PROPERTY: 107,
  INVALID_CHARS: 108,
} as const;
