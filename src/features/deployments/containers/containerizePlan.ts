/** The Dockerfile and .dockerignore Containerize Model would build with, rendered for review before the build. */
export async function planContainerize(
  modelPath: string,
  baseImage: string,
  runId?: string,
): Promise<{ dockerfile: string; dockerignore: string; modelHash: string }> {
  const [{ planModel, modelDockerfile }, { renderDockerignore, DEFAULT_CONTAINER_PORT }] = await Promise.all([
    import('../../../core/docker/containerizeModel'),
    import('../../../core/docker/renderDockerfile'),
  ]);
  const plan = await planModel(modelPath);
  const dockerfile = modelDockerfile(plan, { baseImage, runId, containerPort: DEFAULT_CONTAINER_PORT });
  return { dockerfile, dockerignore: renderDockerignore(), modelHash: plan.modelHash };
}
