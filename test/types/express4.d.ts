// The `express4` devDependency (npm:express@^4) has no types of its own: the tests use the API Express 4
// and 5 share, so it is typed as @types/express (Express 5).
declare module 'express4' {
  import express from 'express';
  export default express;
}
