/**
 * MLflow's error responses: a JSON body `{"error_code": ..., "message": ...}` with the HTTP status
 * MLflow's tracking server gives each code (mlflow/exceptions.py ERROR_CODE_TO_HTTP_STATUS).
 */

export type MlflowErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'ENDPOINT_NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'BAD_REQUEST'
  | 'INTERNAL_ERROR';

export const MLFLOW_ERROR_STATUS: Record<MlflowErrorCode, number> = {
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  BAD_REQUEST: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  INTERNAL_ERROR: 500,
};

export class MlflowError extends Error {
  constructor(
    readonly code: MlflowErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MlflowError';
  }

  get status(): number {
    return MLFLOW_ERROR_STATUS[this.code];
  }

  body(): { error_code: MlflowErrorCode; message: string } {
    return { error_code: this.code, message: this.message };
  }
}

export const invalidParameter = (message: string): MlflowError => new MlflowError('INVALID_PARAMETER_VALUE', message);
export const doesNotExist = (message: string): MlflowError => new MlflowError('RESOURCE_DOES_NOT_EXIST', message);
