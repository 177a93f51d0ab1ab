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
  /**
   * The header of another HDU of the same file, by EXTNAME (case-insensitive) or index (0 = this primary header),
   * for conditions with `hdu`; undefined when the file has no such HDU or the caller knows only one header.
   */
  hdu?(ref: number | string): HeaderView | undefined;
}

/** The header an `hdu` reference names among `headers` (index 0 the primary), by index or EXTNAME. */
export function hduHeader(hdu: number | string | undefined, primary: HeaderView, headers: readonly HeaderView[]): HeaderView | undefined {
  if (hdu === undefined || hdu === 0) return primary;
  if (typeof hdu === 'number') return headers[hdu];
  const wanted = hdu.trim().toUpperCase();
  return headers.find((h, i) => {
    const name = i === 0 ? undefined : h.get('EXTNAME');
    return typeof name === 'string' && name.trim().toUpperCase() === wanted;
  });
}

/** `primary` with access to the file's other HDUs (`headers`, index 0 the primary) for conditions with `hdu`. */
export function withHdus(primary: HeaderView, headers: readonly HeaderView[]): HeaderView {
  return { get: (keyword) => primary.get(keyword), hdu: (ref) => hduHeader(ref, primary, headers) };
}

/**
 * Wraps a plain record as a {@link HeaderView} (keywords as written, exact case). Handy in tests and for callers
 * that already hold header values in an object.
 */
export function headerViewFrom(values: Readonly<Record<string, HeaderValue>>): HeaderView {
  return { get: (keyword) => (Object.hasOwn(values, keyword) ? values[keyword] : undefined) };
}
