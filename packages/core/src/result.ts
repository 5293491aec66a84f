// A value or an error message: parsers return this instead of throwing, so
// bad input from a peer, an HTTP client or a file never becomes an exception.

export type Result<T, E = string> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E = string>(error: E): { ok: false; error: E } => ({ ok: false, error });
