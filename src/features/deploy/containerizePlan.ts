/** The Dockerfile and .dockerignore Containerize Model would build with, rendered for review before the build. */
export async function planContainerize(modelPath: string, baseImage: string, runId?: string): Promise<{ dockerfile: string; dockerignore: string; modelHash: string }> {
  const [{ planModel }, { renderDockerfile, renderDockerignore, DEFAULT_CONTAINER_PORT }] = await Promise.all([
    import('../../core/docker/containerizeModel'),
    import('../../core/docker/renderDockerfile'),
  ]);
  const plan = await planModel(modelPath);
  const dockerfile = renderDockerfile({
    baseImage,
    modelFiles: plan.files.map((f) => f.name),
    modelName: plan.modelName,
    modelHash: plan.modelHash,
    runId,
    containerPort: DEFAULT_CONTAINER_PORT,
    serveTarget: plan.serveTarget,
  });
  return { dockerfile, dockerignore: renderDockerignore(), modelHash: plan.modelHash };
}
