/** The slice of cli-progress@3 that Vigil calls (the package ships no types). */
declare module 'cli-progress' {
  interface BarOptions {
    format?: string;
    stream?: NodeJS.WritableStream;
    hideCursor?: boolean;
    clearOnComplete?: boolean;
    barsize?: number;
  }
  class SingleBar {
    constructor(options: BarOptions, preset?: object);
    start(total: number, startValue: number, payload?: Record<string, unknown>): void;
    update(value: number, payload?: Record<string, unknown>): void;
    stop(): void;
  }
  const cliProgress: {
    SingleBar: typeof SingleBar;
    Presets: { shades_classic: object; legacy: object; rect: object };
  };
  export default cliProgress;
}
