/** The typed handle on the webview's host. `acquireVsCodeApi` may be called once per page. */
interface VsCodeApi<State> {
  postMessage(message: unknown): void;
  getState(): State | undefined;
  setState(state: State): void;
}
declare function acquireVsCodeApi<State = unknown>(): VsCodeApi<State>;

export interface Host<FromWebview, State = unknown> {
  post(message: FromWebview): void;
  getState(): State | undefined;
  setState(state: State): void;
}

export function connectHost<ToWebview, FromWebview, State = unknown>(onMessage: (message: ToWebview) => void): Host<FromWebview, State> {
  const api = acquireVsCodeApi<State>();
  window.addEventListener('message', (event: MessageEvent<ToWebview>) => onMessage(event.data));
  return {
    post: (message) => api.postMessage(message),
    getState: () => api.getState(),
    setState: (state) => api.setState(state),
  };
}
