// Resolves (and if needed builds) the Temporal CLI ahead of time, so CI pays the Go build once
// and prints where the binary came from.
import { resolveTemporalCli } from '../src/temporal/temporalCli.ts';

const executable = resolveTemporalCli();
console.log(executable.type === 'existing-path' ? `temporal CLI: ${executable.path}` : 'temporal CLI: SDK download');
