/**
 * Errors carry a stable code and a sentence a user can act on (architecture rule 6).
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'HAL_UNKNOWN_DRIVER'
  | 'HAL_DRIVER_ERROR'
  | 'AUDIO_DEVICE_BUSY'
  | 'AUDIO_DEVICE_MISSING'
  | 'AUDIO_FILE_INVALID'
  | 'SIP_TIMEOUT'
  | 'SIP_TRANSPORT'
  | 'SIP_AUTH_FAILED'
  | 'SIP_REJECTED'
  | 'MEDIA_ERROR'
  | 'NOT_FOUND'
  | 'BAD_REQUEST'
  | 'TOO_LARGE'
  | 'INTERNAL';

export class PortierError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'PortierError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
