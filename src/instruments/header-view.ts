/**
 * The smallest view of a FITS header that instrument rules need. The core `Header` class satisfies it; tests and
 * other callers can pass a plain object wrapped by {@link headerViewFrom}.
 *
 * @module
 */

/** A header value as the rules see it: FITS strings, integers (bigint when large), reals, logicals, complex. */
export type HeaderValue = string | number | bigint | boolean | null | { re: number; im: number };

/** Read-only access to header keywords. */
export interface HeaderView {
  /**
   * The value of `keyword`: `undefined` when the keyword is absent, `null` when it is present with an undefined
   * value (a card with a blank value field).
   */
  get(keyword: string): HeaderValue | undefined;
}

/**
 * Wraps a plain record as a {@link HeaderView} (keywords as written, exact case). Handy in tests and for callers
 * that already hold header values in an object.
 */
export function headerViewFrom(values: Readonly<Record<string, HeaderValue>>): HeaderView {
  return { get: (keyword) => (Object.hasOwn(values, keyword) ? values[keyword] : undefined) };
}
