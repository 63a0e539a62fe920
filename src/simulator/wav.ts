import { createHash } from 'node:crypto';

const SAMPLE_RATE = 8000;
const SECONDS = 1;

/**
 * One second of 8 kHz 16-bit mono PCM tone, as a WAV file. The pitch comes from a hash of the
 * CallId, so the bytes are the same for every download of one call and differ between calls.
 */
export function toneWav(callId: string): Buffer {
  const hz = 300 + (createHash('sha256').update(callId).digest()[0] ?? 0) * 2;
  const samples = SAMPLE_RATE * SECONDS;
  const data = samples * 2;
  const wav = Buffer.alloc(44 + data);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + data, 4);
  wav.write('WAVE', 8, 'ascii');
  wav.write('fmt ', 12, 'ascii');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(SAMPLE_RATE, 24);
  wav.writeUInt32LE(SAMPLE_RATE * 2, 28); // byte rate
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(data, 40);
  for (let i = 0; i < samples; i++) {
    wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / SAMPLE_RATE)), 44 + i * 2);
  }
  return wav;
}
