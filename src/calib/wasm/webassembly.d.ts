// The part of the WebAssembly JavaScript API the kernels use. TypeScript declares it only in the
// DOM library, which this Node project does not load.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array<ArrayBuffer>);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number; shared?: boolean });
    readonly buffer: ArrayBuffer;
  }
  class CompileError extends Error {}
  function validate(bytes: Uint8Array<ArrayBuffer>): boolean;
}
