/** The command line, read in process: defaults, every option, and the messages for what is wrong. */
import { parseCommandLine, UsageError } from '../../lib/cli/arguments';

it('defaults: port 4000 on all interfaces, info logs, 30 s grace period', () => {
  expect(parseCommandLine(['--config', 'config.yaml'])).toEqual({
    kind: 'serve',
    options: { configPath: 'config.yaml', port: 4000, host: '0.0.0.0', logLevel: 'info', gracePeriodMs: 30_000 },
  });
});

it('reads every option, long and short', () => {
  expect(
    parseCommandLine(['-c', 'c.yaml', '-p', '0', '--host', '::1', '--log-level', 'debug', '--grace-period', '2.5']),
  ).toEqual({
    kind: 'serve',
    options: { configPath: 'c.yaml', port: 0, host: '::1', logLevel: 'debug', gracePeriodMs: 2500 },
  });
});

it('--tls-key and --tls-cert: TLS with that key and certificate', () => {
  const command = parseCommandLine(['-c', 'c.yaml', '--tls-key', 'tls/key.pem', '--tls-cert', 'tls/cert.pem']);
  expect(command).toMatchObject({ kind: 'serve', options: { tls: { keyPath: 'tls/key.pem', certPath: 'tls/cert.pem' } } });
});

it('--help wins over everything else, even a missing --config', () => {
  expect(parseCommandLine(['--help'])).toEqual({ kind: 'help' });
  expect(parseCommandLine(['-h', '--port', '1'])).toEqual({ kind: 'help' });
});

it.each([
  [[], "--config <file> is required."],
  [['--config', ''], '--config <file> is required.'],
  [['--config'], "Option '-c, --config <value>' argument missing"],
  [['-c', 'x.yaml', '--prot', '4000'], "Unknown option '--prot'"],
  [['-c', 'x.yaml', '--port', 'forty'], "--port must be a whole number from 0 to 65535, not 'forty'."],
  [['-c', 'x.yaml', '--port', '70000'], "--port must be a whole number from 0 to 65535, not '70000'."],
  [['-c', 'x.yaml', '--port', '80.5'], "--port must be a whole number from 0 to 65535, not '80.5'."],
  [['-c', 'x.yaml', '--host', ' '], '--host must not be empty.'],
  [['-c', 'x.yaml', '--log-level', 'loud'], "--log-level must be one of debug, info, warn, error, silent, not 'loud'."],
  [['-c', 'x.yaml', '--grace-period=-1'], "--grace-period must be a number of seconds, 0 or more, not '-1'."],
  [['-c', 'x.yaml', '--grace-period', 'soon'], "--grace-period must be a number of seconds, 0 or more, not 'soon'."],
  [['-c', 'x.yaml', 'serve'], "Unexpected argument 'serve'"],
  [['-c', 'x.yaml', '--tls-key', 'key.pem'], '--tls-key and --tls-cert go together: --tls-cert <file> is missing.'],
  [['-c', 'x.yaml', '--tls-cert', 'cert.pem'], '--tls-key and --tls-cert go together: --tls-key <file> is missing.'],
  [['-c', 'x.yaml', '--tls-key', '', '--tls-cert', 'cert.pem'], '--tls-key and --tls-cert must name files.'],
])('%j: a UsageError that says what is wrong', (args, message) => {
  let error: unknown;
  try {
    parseCommandLine(args);
  } catch (thrown) {
    error = thrown;
  }
  expect(error).toBeInstanceOf(UsageError);
  expect((error as UsageError).message).toContain(message);
});
