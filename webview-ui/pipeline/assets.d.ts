/** esbuild loads .css files as text and .ttf files as files beside the bundle (their URL relative to it). */
declare module '*.css' {
  const text: string;
  export default text;
}
declare module '*.ttf' {
  const url: string;
  export default url;
}
