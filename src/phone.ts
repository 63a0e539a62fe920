// Phone numbers in the platform's format, and how a human may see them. Pure: used by workflows too.

/** 0086 + an 11-digit mobile (1xxxxxxxxxx) or a fixed line with its area code (0xxxxxxxxx[x][x]). */
const PLATFORM_NUMBER = /^0086(1\d{10}|0\d{9,11})$/;

export function isPlatformNumber(value: unknown): value is string {
  return typeof value === 'string' && PLATFORM_NUMBER.test(value);
}

/**
 * Masks a phone number for logs, memo, summaries and CLI output: country code and the first three
 * digits stay, then four stars, then the last four digits (0086136****6024). Anything shorter than a
 * real number is masked whole, so a malformed value never leaks either.
 */
export function maskPhone(value: string): string {
  if (value.length < 11) return '*'.repeat(value.length);
  return `${value.slice(0, 7)}****${value.slice(-4)}`;
}

/** Masks every run of 7+ digits in free text (log lines, error messages). */
export function maskPhonesInText(text: string): string {
  return text.replace(/\+?\d{7,}/g, (digits) => maskPhone(digits));
}
