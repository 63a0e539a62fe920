import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { NPP_SEARCH_ATTRIBUTES } from '../../src/contract/searchAttributes.ts';

// There is no Docker engine here: the deployment files are checked against each other and against
// the code, so a renamed variable, a moved entry point or a forgotten pin fails the suite.

const root = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number | null>;
  ports?: string[];
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test: string[] };
  profiles?: string[];
}

const composeText = read('docker-compose.yml');
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const serviceNames = Object.keys(services);
/** The services that run this repository's code, and the file each one runs. */
const APP_SERVICES = {
  worker: 'src/worker.ts',
  webhook: 'src/webhooks/main.ts',
  simulator: 'src/simulator/main.ts',
  'npp-setup': 'bin/npp-temporal.mjs',
};

const environment = (name: string) => services[name]?.environment ?? {};
const literalPort = (service: string, variable: string) => Number(environment(service)[variable]);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Every environment variable the code reads: `env.NAME` / `env['NAME']` in src/, plus envconfig's. */
function variablesReadByCode(): Set<string> {
  const names = new Set<string>();
  let usesEnvconfig = false;
  for (const file of sourceFiles('src')) {
    const text = read(file);
    for (const match of text.matchAll(/\benv\??\.([A-Z][A-Z0-9_]*)|\benv\[['"]([A-Z][A-Z0-9_]*)['"]\]/g)) {
      names.add((match[1] ?? match[2]) as string);
    }
    usesEnvconfig ||= text.includes("from '@temporalio/envconfig'");
  }
  if (usesEnvconfig) {
    // The Temporal connection settings are read by the library, not by src/ itself.
    const lib = 'node_modules/@temporalio/envconfig/lib';
    for (const file of readdirSync(join(root, lib)).filter((name) => name.endsWith('.js'))) {
      for (const match of read(join(lib, file)).matchAll(/['"](TEMPORAL_[A-Z_]+)['"]/g)) names.add(match[1] as string);
    }
  }
  return names;
}

/** `[ip:]host:container` → the host side (ip included) and the container port. */
function publishedPort(spec: string): { host: string; container: number } {
  const parts = spec.split(':');
  return { host: parts.slice(0, -1).join(':'), container: Number(parts.at(-1)) };
}

/** The values a `--env-file` sets, by name. */
function envFile(path: string): Map<string, string> {
  const lines = read(path)
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
  return new Map(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

describe('docker-compose.yml', () => {
  it('pins every image to a tag (an optional digest on top), never latest nor a variable', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.image, `${name} has no image`).toBeTruthy();
      const match = /^([a-z0-9./_-]+):([A-Za-z0-9._-]+)(@sha256:[0-9a-f]{64})?$/.exec(service.image as string);
      expect(match, `${name}: image ${service.image} is not name:tag`).not.toBeNull();
      expect(match?.[2], `${name}: image ${service.image}`).not.toBe('latest');
    }
    expect(services.temporal?.image).toMatch(/^temporalio\/server:1\.29\.\d+$/);
  });

  it('builds the app services from the repository Dockerfile and runs files that exist', () => {
    const built = Object.entries(services).filter(([, service]) => service.build !== undefined);
    expect(built.map(([name]) => name).sort()).toEqual(Object.keys(APP_SERVICES).sort());
    for (const [name, service] of built) {
      const build = typeof service.build === 'string' ? { context: service.build } : (service.build ?? {});
      const dockerfile = join(root, build.context ?? '.', build.dockerfile ?? 'Dockerfile');
      expect(relative(root, dockerfile), name).toBe('Dockerfile');
      expect(service.command?.slice(0, 2), name).toEqual(['node', APP_SERVICES[name as keyof typeof APP_SERVICES]]);
      expect(existsSync(join(root, service.command?.[1] as string)), `${name} runs a missing file`).toBe(true);
    }
  });

  it('depends only on services that exist, with conditions compose knows', () => {
    const conditions = ['service_started', 'service_healthy', 'service_completed_successfully'];
    for (const [name, service] of Object.entries(services)) {
      const dependsOn = service.depends_on ?? {};
      const entries: [string, { condition?: string }][] = Array.isArray(dependsOn)
        ? dependsOn.map((target) => [target, {}])
        : Object.entries(dependsOn);
      for (const [target, { condition }] of entries) {
        expect(serviceNames, `${name} depends on ${target}`).toContain(target);
        if (condition) expect(conditions, `${name} → ${target}`).toContain(condition);
        if (condition === 'service_healthy')
          expect(services[target]?.healthcheck, `${target} has no healthcheck`).toBeDefined();
        // A service outside the default profile would be missing from a plain `docker compose up`.
        expect(services[target]?.profiles, `${name} depends on profiled ${target}`).toBeUndefined();
      }
    }
  });

  it('publishes each host port once, on the port the service is configured to listen on', () => {
    const hosts = Object.values(services).flatMap((service) =>
      (service.ports ?? []).map((spec) => publishedPort(spec).host),
    );
    expect(
      hosts.filter((host, index) => hosts.indexOf(host) !== index),
      'published twice',
    ).toEqual([]);
    const listening = {
      worker: literalPort('worker', 'WORKER_METRICS_PORT'),
      webhook: literalPort('webhook', 'WEBHOOK_PORT'),
      simulator: literalPort('simulator', 'NPP_SIM_PORT'),
    };
    for (const [name, port] of Object.entries(listening)) {
      // The healthcheck probes the port the service listens on.
      expect(services[name]?.healthcheck?.test.join(' '), name).toContain(`127.0.0.1:${port}/`);
    }
    expect(services.webhook?.ports?.map((spec) => publishedPort(spec).container)).toEqual([listening.webhook]);
    expect(services.simulator?.ports?.map((spec) => publishedPort(spec).container)).toEqual([listening.simulator]);
    // A published host port would stop `--scale worker=N`.
    expect(services.worker?.ports).toBeUndefined();
  });

  it('sets on the app services only variables the code reads', () => {
    const known = variablesReadByCode();
    for (const name of Object.keys(APP_SERVICES)) {
      const unknown = Object.keys(environment(name)).filter((variable) => !known.has(variable));
      expect(unknown, `${name} sets variables nothing reads`).toEqual([]);
    }
  });

  it('registers exactly the search attributes the workflows use, with their types', () => {
    const setup = services['temporal-setup'] as Service;
    const listed = String(setup.environment?.NPP_SEARCH_ATTRIBUTES).trim().split(/\s+/);
    const cliType = { KEYWORD: 'Keyword', KEYWORD_LIST: 'KeywordList' } as Record<string, string>;
    expect(listed.sort()).toEqual(NPP_SEARCH_ATTRIBUTES.map((key) => `${key.name}=${cliType[key.type]}`).sort());
    expect(setup.entrypoint?.join(' ')).toContain('/deploy/setup-namespace.sh');
    // The script it runs is the repository's, and it registers what that variable lists.
    expect(setup.volumes).toContain('./deploy/temporal/setup-namespace.sh:/deploy/setup-namespace.sh:ro');
    expect(read('deploy/temporal/setup-namespace.sh')).toContain('for attribute in $NPP_SEARCH_ATTRIBUTES');
  });

  it('mounts files that exist in the repository', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] as string;
        if (source.startsWith('./')) expect(existsSync(join(root, source)), `${name} mounts ${source}`).toBe(true);
      }
    }
  });

  it('archives the worker’s recordings into a named volume the image lets its user write', () => {
    const dir = environment('worker').NPP_ARCHIVE_DIR as string;
    expect(dir).toMatch(/^\//);
    const mount = services.worker?.volumes?.find((volume) => volume.split(':')[1] === dir);
    const volumeName = mount?.split(':')[0] as string;
    expect(Object.keys(compose.volumes ?? {}), `no named volume at ${dir}`).toContain(volumeName);
    // A fresh named volume takes the owner of the image's directory at its mount point.
    expect(read('Dockerfile')).toContain(`mkdir -p ${dir} && chown node:node ${dir}`);
  });

  it('deploy/simulator.env sets every required variable and wires the simulator to the webhook', () => {
    const trial = envFile('deploy/simulator.env');
    const interpolated = new Set([...composeText.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((match) => match[1]));
    const required = new Set([...composeText.matchAll(/\$\{([A-Z][A-Z0-9_]*):\?/g)].map((match) => match[1]));
    expect([...trial.keys()].filter((name) => !interpolated.has(name))).toEqual([]);
    expect([...required].filter((name) => !trial.has(name as string))).toEqual([]);
    const endpoint = new URL(trial.get('NPP_ENDPOINT') as string);
    expect([endpoint.hostname, Number(endpoint.port)]).toEqual(['simulator', literalPort('simulator', 'NPP_SIM_PORT')]);
    const callbacks = new URL(trial.get('WEBHOOK_PUBLIC_URL') as string);
    expect([callbacks.hostname, Number(callbacks.port)]).toEqual(['webhook', literalPort('webhook', 'WEBHOOK_PORT')]);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('starts from a pinned Node 24 bookworm-slim image', () => {
    const bases = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((match) => match[1]);
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(base).toMatch(/^node:24\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
  });

  it('installs production dependencies only, runs as a non-root user, and its CMD file exists', () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((match) => match[1]);
    expect(users.at(-1)).toBeDefined();
    expect(users.at(-1)).not.toMatch(/^(root|0)$/);
    const cmd = JSON.parse(/^CMD\s+(\[.*\])$/m.exec(dockerfile)?.[1] ?? 'null') as string[];
    expect(cmd[0]).toBe('node');
    expect(existsSync(join(root, cmd[1] as string))).toBe(true);
  });
});

describe('README.md', () => {
  it('names in its Deploy section only compose services that exist', () => {
    const readme = read('README.md');
    const start = readme.search(/^##+ .*Deploy/m);
    expect(start, 'README.md has no Deploy section').toBeGreaterThanOrEqual(0);
    const rest = readme.slice(start);
    const next = rest.slice(1).search(/^## /m);
    // Inline code outside code blocks; shell commands live in the blocks.
    const section = (next === -1 ? rest : rest.slice(0, next + 1)).replace(/```[\s\S]*?```/g, '');
    const named = [...section.matchAll(/`([a-z][a-z0-9-]*)`/g)].map((match) => match[1] as string);
    expect(named).toEqual(expect.arrayContaining(['worker', 'webhook', 'temporal-ui']));
    expect(named.filter((name) => !serviceNames.includes(name))).toEqual([]);
  });
});
