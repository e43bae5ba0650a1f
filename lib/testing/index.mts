// The ES module entry re-exports the CommonJS build, so `import` and `require` share one instance.
export * from './index.js';
