import { isPlatformNumber, maskPhone } from '../phone.ts';

// Argument errors: printed with the command's usage, exit code 2, never a stack trace.
export class UsageError extends Error {
  readonly usage: string;
  constructor(message: string, usage: string) {
    super(message);
    this.name = 'UsageError';
    this.usage = usage;
  }
}

/** Something the user asked for does not exist (exit code 3). */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export function requireString(value: string | boolean | undefined, name: string, usage: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} is required`, usage);
  return value.trim();
}

export function optionalInteger(
  value: string | boolean | undefined,
  name: string,
  usage: string,
  range: { min: number; max: number },
): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < range.min || number > range.max) {
    throw new UsageError(`--${name} must be an integer from ${range.min} to ${range.max}`, usage);
  }
  return number;
}

export function positional(positionals: string[], index: number, name: string, usage: string): string {
  const value = positionals[index];
  if (!value) throw new UsageError(`missing <${name}>`, usage);
  return value;
}

/** A participant number in the platform's 0086 format; the message shows it masked (scrollback is a log too). */
export function platformNumber(value: string, name: string, usage: string): string {
  if (!isPlatformNumber(value)) {
    throw new UsageError(`--${name} must be a number in 0086 format, e.g. 0086138…, got ${maskPhone(value)}`, usage);
  }
  return value;
}
