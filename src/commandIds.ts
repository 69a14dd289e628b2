/**
 * Every command ML Workbench contributes, by the name the code uses. Code never spells a command id
 * as a string; a unit test checks this table against package.json both ways.
 */
export const Command = {
  showLog: 'mlWorkbench.showLog',
  checkEnvironment: 'mlWorkbench.checkEnvironment',
  openSettings: 'mlWorkbench.openSettings',
  refreshModels: 'mlWorkbench.refreshModels',
  refreshRuns: 'mlWorkbench.refreshRuns',
  refreshDeployments: 'mlWorkbench.refreshDeployments',
  serveModel: 'mlWorkbench.serveModel',
  stopServer: 'mlWorkbench.stopServer',
  restartServer: 'mlWorkbench.restartServer',
  removeServer: 'mlWorkbench.removeServer',
  openServerLog: 'mlWorkbench.openServerLog',
  copyCurlExample: 'mlWorkbench.copyCurlExample',
  sendTestRequest: 'mlWorkbench.sendTestRequest',
  openModel: 'mlWorkbench.openModel',
  copySignature: 'mlWorkbench.copySignature',
  revealModel: 'mlWorkbench.revealModel',
  compareModels: 'mlWorkbench.compareModels',
  benchmarkModel: 'mlWorkbench.benchmarkModel',
  runExperiment: 'mlWorkbench.runExperiment',
  runSweep: 'mlWorkbench.runSweep',
  stopRun: 'mlWorkbench.stopRun',
  deleteRun: 'mlWorkbench.deleteRun',
  rerun: 'mlWorkbench.rerun',
  openRunDashboard: 'mlWorkbench.openRunDashboard',
  compareRuns: 'mlWorkbench.compareRuns',
  openRunArtifacts: 'mlWorkbench.openRunArtifacts',
  checkoutRunCode: 'mlWorkbench.checkoutRunCode',
  renameRun: 'mlWorkbench.renameRun',
  editRunTags: 'mlWorkbench.editRunTags',
  editRunNotes: 'mlWorkbench.editRunNotes',
  newExperiment: 'mlWorkbench.newExperiment',
  renameExperiment: 'mlWorkbench.renameExperiment',
  openServerMonitor: 'mlWorkbench.openServerMonitor',
  tryModel: 'mlWorkbench.tryModel',
  containerizeModel: 'mlWorkbench.containerizeModel',
  runContainer: 'mlWorkbench.runContainer',
  pushImage: 'mlWorkbench.pushImage',
  deployKubernetes: 'mlWorkbench.deployKubernetes',
  containerLogs: 'mlWorkbench.containerLogs',
  stopContainer: 'mlWorkbench.stopContainer',
  restartContainer: 'mlWorkbench.restartContainer',
  removeContainer: 'mlWorkbench.removeContainer',
  openContainerMonitor: 'mlWorkbench.openContainerMonitor',
  copyEndpoint: 'mlWorkbench.copyEndpoint',
  showLineage: 'mlWorkbench.showLineage',
  retryDocker: 'mlWorkbench.retryDocker',
  newProject: 'mlWorkbench.newProject',
} as const;

export type CommandId = (typeof Command)[keyof typeof Command];

/** The views the manifest contributes to the ML Workbench container, and the model editor's view type. */
export const View = {
  runs: 'mlWorkbench.runs',
  models: 'mlWorkbench.models',
  deployments: 'mlWorkbench.deployments',
  onnxInspector: 'mlWorkbench.onnxInspector',
} as const;
