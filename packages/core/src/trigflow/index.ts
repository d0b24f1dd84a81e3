export {
  CONSISTENCY_PROPOSAL,
  TEACHER_PROPOSAL,
  T_EPS,
  denoise,
  edmGrid,
  noiseEstimate,
  noisy,
  perExample,
  sampleTimes,
  tMaxFor,
  uniformGrid,
  velocity,
  type TimeProposal,
} from './schedule.js';
export { guidedField, modelField, type Field } from './field.js';
export {
  ddimSample,
  ddimStep,
  dpmSolver2Sample,
  heunSample,
  stepsForNfe,
  teacherNfe,
  teacherSamplers,
  type TeacherSampler,
} from './samplers.js';
