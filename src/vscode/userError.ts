/** An error whose message is meant for the user, with the ways out offered next to it. */
export interface ErrorAction {
  title: string;
  run: () => unknown;
}

export class UserError extends Error {
  constructor(
    message: string,
    readonly actions: ErrorAction[] = [],
  ) {
    super(message);
    this.name = 'UserError';
  }
}
