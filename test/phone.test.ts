import { describe, expect, it } from 'vitest';
import { isPlatformNumber, maskPhone, maskPhonesInText } from '../src/phone.ts';

describe('phone numbers', () => {
  it.each([
    ['008613631686024', true],
    ['0086075586013388', true],
    ['13631686024', false],
    ['+8613631686024', false],
    ['00861363168602', false],
    ['008623631686024', false],
    [13631686024, false],
  ])('%s is a platform number: %s', (value, expected) => {
    expect(isPlatformNumber(value)).toBe(expected);
  });

  it('masks the middle four digits and keeps what a human needs to tell numbers apart', () => {
    expect(maskPhone('008613631686024')).toBe('0086136****6024');
    expect(maskPhone('0086075586013388')).toBe('0086075****3388');
    expect(maskPhone('1234')).toBe('****');
  });

  it('masks every number inside free text', () => {
    expect(maskPhonesInText('caller 008613631686024 called +8613900001111 at 10:00')).toBe(
      'caller 0086136****6024 called +861390****1111 at 10:00',
    );
  });
});
