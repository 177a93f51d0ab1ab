/** Hiding secrets in text that is printed or logged. */

/** Text with the password of any `scheme://user:password@` URL (and any `password=` parameter) replaced by `***`. */
export function redact(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@\s]*@/gi, '$1***@')
    .replace(/(password=)[^&\s]*/gi, '$1***');
}
