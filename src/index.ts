/**
 * locolens: the JupyterLab plugins. Logic lives in core/ (headless) and lab/ (widgets).
 */
import {
  activityStatusPlugin,
  analysisPlugin,
  browserPlugin,
  datasetsPlugin,
  documentsPlugin,
  notebookRendererPlugin,
  performancePlugin
} from './lab/plugins';

export default [
  datasetsPlugin,
  browserPlugin,
  documentsPlugin,
  analysisPlugin,
  notebookRendererPlugin,
  activityStatusPlugin,
  performancePlugin
];
