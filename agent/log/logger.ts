import pino from 'pino';

/** Structured JSON logs (one object a line), each carrying what it is about: step, version. */
export type Logger = pino.Logger;

export function createLogger(destination?: NodeJS.WritableStream, level: string = process.env.DEPLOY_AGENT_LOG_LEVEL ?? 'info'): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'deploy-agent' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
