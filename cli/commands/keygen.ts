import { generateKeyPairSync } from 'node:crypto';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { DeployError } from '../../agent/errors';
import { keyIdOf, spkiBase64 } from '../../agent/release/signing-keys';
import type { CliIo } from '../run/cli-io';
import type { Command } from '../run/command';
import { withJsonFailure } from '../run/json-failure';
import { parseFlags } from '../args/parse-flags';
import { EXIT_OK, UsageError } from '../args/usage-error';

export const DEFAULT_PRIVATE_NAME = 'deployctl-signing.key';
export const DEFAULT_PUBLIC_NAME = 'deployctl-signing.pub';

export const KEYGEN_HELP = `Usage: deployctl keygen [--out DIR | --private FILE --public FILE] [--json]

Creates an ed25519 key pair for signed releases. The private key (PEM, PKCS8)
is written with mode 0600 and is never overwritten: keygen refuses when a key
file already exists. Keep it where pushes run (a CI secret) and sign with
'deployctl push --sign-key FILE'. The public key is written as PEM (SPKI) and
printed as one base64 line: add that line to "trustedKeys" in every agent's
config, and the agents deploy only releases signed by one of their keys.

Options:
  --out DIR            write ${DEFAULT_PRIVATE_NAME} and ${DEFAULT_PUBLIC_NAME} in DIR
                       (created if missing; default: the current directory)
  --private FILE       where to write the private key (with --public)
  --public FILE        where to write the public key (with --private)
  --json               print one JSON object on stdout instead of text
  -h, --help           show this help

Key rotation: create a new pair, add its public line to trustedKeys next to the
old one (agents accept a release signed by either), sign new pushes with the new
key, and remove the old public key once no release you may roll back to needs it.

Exit status: 0 when both files were written, 1 on failure (nothing is left
half-written), 2 on bad arguments.
Example: deployctl keygen --out ~/.deployctl && deployctl push v42 --dir ./build --sign-key ~/.deployctl/${DEFAULT_PRIVATE_NAME}`;

const OPTIONS = {
  out: { type: 'string' },
  private: { type: 'string' },
  public: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface KeygenArgs {
  readonly privateFile: string;
  readonly publicFile: string;
  readonly json: boolean;
}

export const keygenCommand: Command = {
  name: 'keygen',
  synopsis: 'create an ed25519 key pair for signed releases (push --sign-key, trustedKeys)',
  help: KEYGEN_HELP,
  run: async (args, io) => {
    const parsed = parseKeygenArgs(args, io.cwd);
    return withJsonFailure(parsed.json, io.stdout, () => keygen(parsed, io));
  },
};

async function keygen(args: KeygenArgs, io: CliIo): Promise<number> {
  await assertAbsent(args.privateFile, 'private');
  await assertAbsent(args.publicFile, 'public');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  await mkdir(path.dirname(args.privateFile), { recursive: true, mode: 0o700 });
  await mkdir(path.dirname(args.publicFile), { recursive: true });
  await writeExclusive(args.privateFile, privatePem, 0o600, 'private');
  try {
    await writeExclusive(args.publicFile, publicPem, 0o644, 'public');
  } catch (error) {
    // Never leave a private key without its public half (and never one we did not write).
    await rm(args.privateFile, { force: true });
    throw error;
  }
  const keyId = keyIdOf(publicKey);
  const trustedKey = spkiBase64(publicKey);
  if (args.json) {
    io.stdout.write(`${JSON.stringify({ ok: true, keyId, privateKey: args.privateFile, publicKey: args.publicFile, trustedKey })}\n`);
    return EXIT_OK;
  }
  io.stdout.write(
    [
      `wrote private key ${args.privateFile} (mode 0600; keep it secret: it signs releases)`,
      `wrote public key  ${args.publicFile}`,
      `key id ${keyId}`,
      'add this line to "trustedKeys" in the agents\' config:',
      trustedKey,
      '',
    ].join('\n'),
  );
  return EXIT_OK;
}

async function assertAbsent(file: string, which: 'private' | 'public'): Promise<void> {
  const exists = await stat(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? false : Promise.reject(error)),
  );
  if (exists) {
    throw new DeployError(
      'KEY_FILE_EXISTS',
      `${file} already exists; keygen never overwrites a key (a lost private key cannot be recovered): choose another --out or --${which} path, or move the old file away`,
    );
  }
}

async function writeExclusive(file: string, content: string, mode: number, which: 'private' | 'public'): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'wx', mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') await assertAbsent(file, which);
    throw new DeployError('KEY_FILE_UNWRITABLE', `cannot create ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    await handle.chmod(mode); // the umask may have narrowed it; never widen it beyond `mode`
    await handle.writeFile(content);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(file, { force: true });
    throw new DeployError('KEY_FILE_UNWRITABLE', `cannot write ${file}: ${(error as Error).message}`, { cause: error });
  }
  await handle.close();
}

function parseKeygenArgs(args: string[], cwd: string): KeygenArgs {
  const { values, positionals } = parseFlags('keygen', args, OPTIONS);
  if (positionals[0] !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (see 'deployctl keygen --help')`);
  for (const [flag, value] of [['out', values.out], ['private', values.private], ['public', values.public]] as const) {
    if (value !== undefined && value.trim() === '') throw new UsageError(`--${flag} must not be empty`);
  }
  const pair = values.private !== undefined || values.public !== undefined;
  if (pair && values.out !== undefined) throw new UsageError("give either --out DIR or --private FILE --public FILE, not both (see 'deployctl keygen --help')");
  if (pair && (values.private === undefined || values.public === undefined)) {
    throw new UsageError("--private and --public go together (see 'deployctl keygen --help')");
  }
  const privateFile = path.resolve(cwd, values.private ?? path.join(values.out ?? '.', DEFAULT_PRIVATE_NAME));
  const publicFile = path.resolve(cwd, values.public ?? path.join(values.out ?? '.', DEFAULT_PUBLIC_NAME));
  if (privateFile === publicFile) throw new UsageError('--private and --public must be different files');
  return { privateFile, publicFile, json: values.json === true };
}
