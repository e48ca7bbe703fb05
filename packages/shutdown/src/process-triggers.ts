// What starts a shutdown from outside: signals, a process-manager message, and uncaught errors.
import { SHUTDOWN_MESSAGE } from './process-manager.js';

/** Callbacks for each kind of trigger. */
export interface TriggerHandlers {
  signal(signal: NodeJS.Signals): void;
  message(): void;
  uncaught(error: unknown, origin: 'uncaughtException' | 'unhandledRejection'): void;
}

/** Installs the process listeners asked for; returns a function that removes them. */
export function installTriggers(
  options: { readonly signals: readonly NodeJS.Signals[]; readonly ipc: boolean; readonly uncaught: boolean },
  handlers: TriggerHandlers,
): () => void {
  const removers: Array<() => void> = [];
  for (const signal of options.signals) {
    const onSignal = (): void => handlers.signal(signal);
    process.on(signal, onSignal);
    removers.push(() => process.off(signal, onSignal));
  }
  if (options.ipc) {
    const onMessage = (message: unknown): void => {
      if (message === SHUTDOWN_MESSAGE) handlers.message();
    };
    process.on('message', onMessage);
    removers.push(() => process.off('message', onMessage));
  }
  if (options.uncaught) {
    const onException = (error: Error): void => handlers.uncaught(error, 'uncaughtException');
    const onRejection = (reason: unknown): void => handlers.uncaught(reason, 'unhandledRejection');
    process.on('uncaughtException', onException);
    process.on('unhandledRejection', onRejection);
    removers.push(() => {
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
    });
  }
  return () => {
    for (const remove of removers.splice(0)) remove();
  };
}
