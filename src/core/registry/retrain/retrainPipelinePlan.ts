/**
 * Whether retrain reruns the workspace's pipeline rather than the champion's bare script: when the champion's model
 * file is an out of a stage of the workspace's dvc.yaml (export's model.onnx), or its source run is a pipeline stage
 * run (tag `mlw.pipeline.stage`) whose model file is such an out.
 */
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { producingStage } from '../../pipelines/pipelineMetrics';
import type { Pipeline, PipelineStage } from '../../pipelines/pipelineTypes';
import { DEFAULT_PARAMS, DVC_YAML, readPipeline } from '../../pipelines/readPipeline';
import type { Run } from '../../runs/runTypes';
import { RegistryError } from '../RegistryStore';
import type { ModelVersion } from '../registryTypes';

export interface RetrainPipelinePlan {
  pipeline: Pipeline;
  /** The stage whose out the model file is (`export`): the pipeline runs up to it. */
  producer: PipelineStage;
  /** The model file the pipeline writes (absolute). */
  file: string;
}

const STAGE_TAG = 'mlw.pipeline.stage';

export async function retrainPipelinePlan(
  workspace: string,
  champion: ModelVersion,
  source: Run | undefined,
  param: string,
  label: string,
): Promise<RetrainPipelinePlan | undefined> {
  const stageRun = source?.tags?.[STAGE_TAG];
  if (!existsSync(path.join(workspace, DVC_YAML))) return undefined;
  const pipeline = await readPipeline(workspace);
  const candidates = [path.resolve(workspace, champion.path)];
  // A script run's artifact may lie where a stage's out does (train.py writes model.onnx too): only a stage run's counts.
  if (stageRun && champion.source.artifact) candidates.push(path.resolve(source?.cwd || workspace, champion.source.artifact));
  let plan: RetrainPipelinePlan | undefined;
  for (const file of candidates) {
    const producer = producingStage(pipeline, file);
    if (producer) {
      plan = { pipeline, producer, file };
      break;
    }
  }
  if (!plan) {
    if (stageRun)
      throw new RegistryError(
        `${label}'s source run ${source?.id} ran pipeline stage ${stageRun}, but its model file ${champion.source.artifact ?? champion.path} is no out of a stage of ${DVC_YAML}: declare it in the stage's outs, or retrain the script alone with --script`,
      );
    return undefined;
  }
  const takers = pipeline.stages.filter((s) => s.params.some((p) => p.file === DEFAULT_PARAMS && p.keys?.includes(param)));
  if (!takers.length)
    throw new RegistryError(
      `no stage of ${DVC_YAML} lists the param ${param}, so the pipeline cannot train on the captured data: add "- ${param}" to the params of its training stage (and ${param}: "" to ${DEFAULT_PARAMS}), or retrain the script alone with --script`,
    );
  return plan;
}
