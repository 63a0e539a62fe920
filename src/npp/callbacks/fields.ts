// Reading one field of a platform callback body: lowerCamel as documented, or UpperCamel as in the
// API's own structures. Every value is a string; an empty string means "absent".

/** A payload the parser rejects; `reason` goes back to the sender and into logs. */
export class InvalidPayloadError extends Error {
  override name = 'InvalidPayloadError';
}

export type Body = Record<string, unknown>;

const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const DIGITS = /^\d{1,12}$/;
const PHONE = /^\+?\d{3,31}$/;

/** The field under `name` or its UpperCamel spelling; undefined when absent or empty. */
export function optionalString(body: Body, name: string): string | undefined {
  const upper = name.charAt(0).toUpperCase() + name.slice(1);
  const lower = body[name];
  const other = body[upper];
  if (lower !== undefined && other !== undefined && lower !== other) {
    throw new InvalidPayloadError(`${name} and ${upper} disagree`);
  }
  const value = lower ?? other;
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new InvalidPayloadError(`${name} must be a string`);
  return value;
}

export function requiredString(body: Body, name: string): string {
  const value = optionalString(body, name);
  if (value === undefined) throw new InvalidPayloadError(`${name} is missing`);
  return value;
}

function matching(name: string, value: string | undefined, pattern: RegExp, what: string): string | undefined {
  if (value !== undefined && !pattern.test(value)) throw new InvalidPayloadError(`${name} must be ${what}`);
  return value;
}

/** Ids are also quoted into visibility queries: the pattern keeps them safe there. */
export function optionalId(body: Body, name: string): string | undefined {
  return matching(name, optionalString(body, name), ID, 'an id of letters, digits and ._:-');
}

export function requiredId(body: Body, name: string): string {
  return matching(name, requiredString(body, name), ID, 'an id of letters, digits and ._:-') as string;
}

export function optionalNumber(body: Body, name: string): number | undefined {
  const value = matching(name, optionalString(body, name), DIGITS, 'a string of digits');
  return value === undefined ? undefined : Number(value);
}

export function requiredNumber(body: Body, name: string): number {
  return Number(matching(name, requiredString(body, name), DIGITS, 'a string of digits'));
}

/** A moment of a call record; the platform sends "0" for one the call never reached. */
export function optionalTime(body: Body, name: string): number | undefined {
  const value = optionalNumber(body, name);
  return value === 0 ? undefined : value;
}

export function optionalPhone(body: Body, name: string): string | undefined {
  return matching(name, optionalString(body, name), PHONE, 'a phone number');
}

export function optionalHttpUrl(body: Body, name: string): string | undefined {
  const value = optionalString(body, name);
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new InvalidPayloadError(`${name} must be an http(s) URL`);
  }
  return value;
}

export function hasAny(body: Body, names: readonly string[]): boolean {
  return names.some((name) => optionalString(body, name) !== undefined);
}
