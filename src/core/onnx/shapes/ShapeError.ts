/** Thrown by an operator rule when a node's inputs cannot be consistent; inferShapes turns it into a warning. */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}
