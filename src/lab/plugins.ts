/**
 * The locolens JupyterLab plugins: thin wiring of the services and widgets in this folder.
 */
import { ILayoutRestorer, type JupyterFrontEnd, type JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, IThemeManager, MainAreaWidget } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import type { Widget } from '@lumino/widgets';

import { INotebookTracker } from '@jupyterlab/notebook';

import { LiveAnalyses } from '../notebook/live-analyses';
import { LocolensRenderer } from '../notebook/locolens-renderer';
import { LOCOLENS_MIME } from '../notebook/spec';
import { WidgetTracker } from '@jupyterlab/apputils';

import { ActivityStatus } from './activity-status';
import { PerformancePanel } from './performance-panel';
import { PerformanceService } from './performance-service';
import { analysisDigest } from '../core/analysis/analysis-digest';
import { IStatusBar } from '@jupyterlab/statusbar';
import { AnalysisView } from './analysis-view';
import { FileReportView } from './file-report-view';
import { ValidationView } from './validation-view';
import { ComparisonView } from './comparison-view';
import { DatasetBrowser } from './dataset-browser';
import { DatasetDocument, DatasetWidgetFactory, MetadataOnlyModelFactory, type DatasetDocumentWidget } from './dataset-document';
import { DatasetService } from './dataset-service';
import { locolensIcon } from './icons';
import { ILocolensDatasets, ILocolensPerformance, type BrowserBackend } from './tokens';

/** Command IDs of locolens. */
export namespace CommandIDs {
  export const openBrowser = 'locolens:open-dataset-browser';
  export const refreshBrowser = 'locolens:refresh-dataset-browser';
  export const analyze = 'locolens:analyze';
  export const clearCache = 'locolens:clear-cache';
  export const analyzeFile = 'locolens:analyze-file';
  export const openPerformance = 'locolens:open-performance';
  export const report = 'locolens:report';
  export const compare = 'locolens:compare';
  export const validate = 'locolens:validate';
}

/** Plugin IDs (those with settings have their schema in schema/<name>.json). */
export namespace PluginIDs {
  export const datasets = 'locolens:datasets';
  export const browser = 'locolens:dataset-browser';
  export const documents = 'locolens:dataset-documents';
  export const analysis = 'locolens:analysis';
  export const notebook = 'locolens:notebook-renderer';
  export const status = 'locolens:activity-status';
  export const performance = 'locolens:performance';
}

/** The dataset service: a pool of decode workers reading files through `/files/`. */
export const datasetsPlugin: JupyterFrontEndPlugin<ILocolensDatasets> = {
  id: PluginIDs.datasets,
  description: 'Dataset summaries of parquet files on the server, decoded in a pool of Web Workers.',
  autoStart: true,
  provides: ILocolensDatasets,
  optional: [ISettingRegistry],
  activate: (app: JupyterFrontEnd, settingRegistry: ISettingRegistry | null): ILocolensDatasets => {
    const service = new DatasetService(app.serviceManager.contents, app.serviceManager.serverSettings);
    // No cold start on the first click: the workers and their wasm start once the page is idle.
    const warmUp = () => {
      const idle = typeof requestIdleCallback === 'function' ? requestIdleCallback : (callback: () => void) => setTimeout(callback, 500);
      void app.restored.then(() => idle(() => void service.warmUp()));
    };
    if (settingRegistry) {
      void settingRegistry
        .load(PluginIDs.datasets)
        .then(settings => {
          const apply = () => {
            service.setPoolSize(settings.get('workers').composite as number);
            service.setBackend(settings.get('backend').composite as BrowserBackend);
            service.setCacheLimit(settings.get('cacheMegabytes').composite as number);
            service.setMemoryBudget(settings.get('memoryBudgetMegabytes').composite as number);
          };
          apply();
          settings.changed.connect(apply);
        })
        .finally(warmUp);
    } else {
      warmUp();
    }
    app.commands.addCommand(CommandIDs.analyzeFile, {
      label: 'Analyze a Whole Dataset File',
      caption: 'Every kernel on every subject×task (or task) of a file, without a view; answers a JSON digest (for scripts and benchmarks)',
      describedBy: {
        args: {
          type: 'object',
          properties: {
            path: { type: 'string' },
            by: { type: 'string', enum: ['subject-task', 'task'] },
            backend: { type: 'string', enum: ['auto', 'workers', 'webgpu'] },
            phaseCorrelations: { type: 'boolean' }
          },
          required: ['path']
        }
      },
      execute: async args => {
        const result = await service.analyze(
          String(args.path),
          { groupBy: args.by === 'task' ? 'task' : 'subject-task' },
          { ...(args.backend ? { backend: args.backend as BrowserBackend } : {}), phaseCorrelations: args.phaseCorrelations !== false }
        );
        return analysisDigest(result);
      }
    });
    return service;
  }
};

/** The dataset browser side panel. */
export const browserPlugin: JupyterFrontEndPlugin<void> = {
  id: PluginIDs.browser,
  description: 'A side panel listing the parquet datasets on the server with their summary and conformance.',
  autoStart: true,
  requires: [ILocolensDatasets],
  optional: [ILayoutRestorer, ICommandPalette, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    datasets: ILocolensDatasets,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null
  ): void => {
    const browser = new DatasetBrowser(
      datasets,
      {
        openInMainArea: path => app.commands.execute('docmanager:open', { path, factory: DatasetDocument.FACTORY }),
        analyze: openAnalysis(app),
        report: path => void app.commands.execute(CommandIDs.report, { path }),
        validate: path => void app.commands.execute(CommandIDs.validate, { path })
      },
      paths => void app.commands.execute(CommandIDs.compare, { paths })
    );
    app.shell.add(browser, 'left', { rank: 600 });
    restorer?.add(browser, browser.id);
    if (settingRegistry) {
      void settingRegistry.load(PluginIDs.browser).then(settings => {
        const apply = () => browser.configure(settings.get('folder').composite as string, settings.get('maxFiles').composite as number);
        apply();
        settings.changed.connect(apply);
      });
    }
    app.commands.addCommand(CommandIDs.openBrowser, {
      label: 'Open the Dataset Browser',
      caption: 'Show the parquet datasets on the server',
      icon: locolensIcon,
      execute: () => app.shell.activateById(browser.id)
    });
    app.commands.addCommand(CommandIDs.clearCache, {
      label: 'Clear the locolens Cache',
      caption: 'Forget the results, summaries and decoded tensors kept in the browser',
      execute: async () => {
        await datasets.clearCache();
        await browser.refresh();
      }
    });
    palette?.addItem({ command: CommandIDs.clearCache, category: 'locolens' });
    app.commands.addCommand(CommandIDs.refreshBrowser, {
      label: 'Refresh the Dataset Browser',
      execute: () => browser.refresh()
    });
    palette?.addItem({ command: CommandIDs.openBrowser, category: 'locolens' });
    palette?.addItem({ command: CommandIDs.refreshBrowser, category: 'locolens' });
    app.commands.addCommand(CommandIDs.compare, {
      label: args => (Array.isArray(args.paths) ? `Compare ${args.paths.length} Datasets` : 'Compare the Ticked Datasets'),
      caption: 'A task across datasets: mean ± SD patterns, differences from the first, subjects, cycles and variable coverage',
      icon: locolensIcon,
      describedBy: {
        args: {
          type: 'object',
          properties: { paths: { type: 'array', items: { type: 'string' } }, task: { type: 'string' } }
        }
      },
      // Without paths: the files ticked in the dataset browser.
      isEnabled: args => (Array.isArray(args.paths) ? args.paths.length : browser.checkedPaths.length) >= 2,
      execute: args => {
        const paths = Array.isArray(args.paths) ? args.paths.map(String) : browser.checkedPaths;
        const view = new ComparisonView(datasets, { paths, task: args.task ? String(args.task) : undefined });
        const widget = addToMainArea(app, view, 'locolens-compare');
        void view.load();
        return widget;
      }
    });
    palette?.addItem({ command: CommandIDs.compare, category: 'locolens' });
  }
};

/** Runs the analyze command (the analysis plugin defines it). */
function openAnalysis(app: JupyterFrontEnd): (path: string, task: string, subject?: string) => void {
  return (path, task, subject) => void app.commands.execute(CommandIDs.analyze, { path, task, ...(subject ? { subject } : {}) });
}

/** The analysis view: opened for a task or a subject×task of a file. */
export const analysisPlugin: JupyterFrontEndPlugin<void> = {
  id: PluginIDs.analysis,
  description: 'Analysis views of a task or a subject×task: patterns, ROM, comparison, correlations, per-cycle table and export.',
  autoStart: true,
  requires: [ILocolensDatasets],
  optional: [IThemeManager, ILayoutRestorer, ILocolensPerformance],
  activate: (
    app: JupyterFrontEnd,
    datasets: ILocolensDatasets,
    themes: IThemeManager | null,
    restorer: ILayoutRestorer | null,
    performance: ILocolensPerformance | null
  ): void => {
    const tracker = new WidgetTracker<MainAreaWidget<AnalysisView>>({ namespace: 'locolens-analysis' });
    app.commands.addCommand(CommandIDs.analyze, {
      label: args => (args.task ? `Analyze ${args.task}${args.subject ? ` · ${args.subject}` : ''}` : 'Analyze a Task'),
      caption: 'Per-cycle features, patterns, ROM, outliers and correlations',
      icon: locolensIcon,
      describedBy: {
        args: {
          type: 'object',
          properties: { path: { type: 'string' }, task: { type: 'string' }, subject: { type: 'string' } },
          required: ['path', 'task']
        }
      },
      execute: args => {
        const request = { path: String(args.path), task: String(args.task), subject: args.subject ? String(args.subject) : undefined };
        const view = new AnalysisView(datasets, request, datasets, performance);
        const widget = addToMainArea(app, view, 'locolens-analysis');
        void tracker.add(widget);
        void view.load();
        return widget;
      }
    });
    app.commands.addCommand(CommandIDs.report, {
      label: args => (args.path ? `Report of ${String(args.path).split('/').pop()}` : 'Whole-File Report'),
      caption: 'A row per subject × task: cycles, valid fraction, missing samples, outliers, overall ROM',
      icon: locolensIcon,
      describedBy: { args: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
      execute: args => {
        const view = new FileReportView(datasets, String(args.path), datasets, openAnalysis(app));
        const widget = addToMainArea(app, view, 'locolens-report');
        void view.load();
        return widget;
      }
    });
    app.commands.addCommand(CommandIDs.validate, {
      label: args => (args.path ? `Validate ${String(args.path).split('/').pop()}` : 'Validate Against LocoHub Ranges'),
      caption: "LocoHub's validation ranges: pass rates, the range tuner, ranges from the data, the clean file",
      icon: locolensIcon,
      describedBy: {
        args: { type: 'object', properties: { path: { type: 'string' }, ranges: { type: 'string' } }, required: ['path'] }
      },
      execute: args => {
        const view = new ValidationView(datasets, String(args.path), args.ranges ? String(args.ranges) : null);
        const widget = addToMainArea(app, view, 'locolens-validation');
        void view.load();
        return widget;
      }
    });
    themes?.themeChanged.connect(() => tracker.forEach(widget => widget.content.refreshTheme()));
    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.analyze,
        args: widget => ({ ...widget.content.request }),
        name: widget => JSON.stringify(widget.content.request)
      });
    }
  }
};

/** A view in a main-area widget with the view's title and the locolens icon, added to the shell. */
function addToMainArea<T extends Widget>(app: JupyterFrontEnd, view: T, idPrefix: string): MainAreaWidget<T> {
  const widget = new MainAreaWidget({ content: view });
  widget.id = `${idPrefix}-${Private.nextId++}`;
  widget.title.label = view.title.label;
  widget.title.caption = view.title.caption;
  widget.title.icon = locolensIcon;
  app.shell.add(widget, 'main');
  return widget;
}

namespace Private {
  // eslint-disable-next-line prefer-const -- incremented by the plugin that opens views
  export let nextId = 0;
}

/** The performance record and its panel (right sidebar). */
export const performancePlugin: JupyterFrontEndPlugin<ILocolensPerformance> = {
  id: PluginIDs.performance,
  description: 'Live performance gauges of locolens analyses, the stage breakdown of the last run, and its export as JSON.',
  autoStart: true,
  provides: ILocolensPerformance,
  requires: [ILocolensDatasets],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    datasets: ILocolensDatasets,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): ILocolensPerformance => {
    const service = new PerformanceService(datasets);
    const panel = new PerformancePanel(service, datasets);
    app.shell.add(panel, 'right', { rank: 900 });
    restorer?.add(panel, panel.id);
    app.commands.addCommand(CommandIDs.openPerformance, {
      label: 'Open the Performance Gauges',
      caption: 'Throughput, memory, workers, stages, backend and caches of locolens analyses',
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({ command: CommandIDs.openPerformance, category: 'locolens' });
    return service;
  }
};

/** The status-bar item: progress and cancel of the running analysis. */
export const activityStatusPlugin: JupyterFrontEndPlugin<void> = {
  id: PluginIDs.status,
  description: 'A status-bar item with the progress of locolens analyses and a cancel button.',
  autoStart: true,
  requires: [ILocolensDatasets],
  optional: [IStatusBar],
  activate: (app: JupyterFrontEnd, datasets: ILocolensDatasets, statusBar: IStatusBar | null): void => {
    if (!statusBar) {
      return;
    }
    const item = new ActivityStatus(datasets, () => void app.commands.execute(CommandIDs.openPerformance));
    statusBar.registerStatusItem(PluginIDs.status, { item, align: 'left', rank: 10 });
  }
};

/**
 * Notebook outputs of `locolens.show(...)` and `locolens.analyze(...)` (application/vnd.locolens.v1+json),
 * and the comm target through which `analyze` gets its results back in the kernel.
 */
export const notebookRendererPlugin: JupyterFrontEndPlugin<void> = {
  id: PluginIDs.notebook,
  description:
    'Renders locolens.show() and locolens.analyze() outputs in notebooks, sends analyze() results back to the kernel, and keeps results and a static fallback in the saved notebook.',
  autoStart: true,
  requires: [IRenderMimeRegistry, ILocolensDatasets],
  optional: [INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    datasets: ILocolensDatasets,
    notebooks: INotebookTracker | null
  ): void => {
    const live = new LiveAnalyses();
    // The comm target on every notebook's kernel, present and future (JupyterLab 4 and Notebook 7).
    notebooks?.widgetAdded.connect((_, panel) => {
      const register = () => {
        const kernel = panel.sessionContext.session?.kernel;
        if (kernel) {
          live.registerKernel(kernel);
        }
      };
      panel.sessionContext.kernelChanged.connect(register);
      void panel.sessionContext.ready.then(register);
      register();
    });
    rendermime.addFactory(
      {
        safe: true,
        mimeTypes: [LOCOLENS_MIME],
        defaultRank: 0,
        createRenderer: options => new LocolensRenderer(options, datasets, live)
      },
      0
    );
  }
};

/** Opening .parquet files from the file browser. */
export const documentsPlugin: JupyterFrontEndPlugin<void> = {
  id: PluginIDs.documents,
  description: 'Opens .parquet files from the file browser as locolens dataset summaries, without loading their content.',
  autoStart: true,
  requires: [ILocolensDatasets],
  optional: [ILayoutRestorer],
  activate: (app: JupyterFrontEnd, datasets: ILocolensDatasets, restorer: ILayoutRestorer | null): void => {
    app.docRegistry.addFileType({
      name: DatasetDocument.FILE_TYPE,
      displayName: 'Parquet dataset',
      extensions: ['.parquet'],
      mimeTypes: ['application/vnd.apache.parquet'],
      contentType: 'file',
      fileFormat: null,
      icon: locolensIcon
    });
    app.docRegistry.addModelFactory(new MetadataOnlyModelFactory());
    const factory = new DatasetWidgetFactory(
      datasets,
      {
        name: DatasetDocument.FACTORY,
        label: 'locolens',
        modelName: DatasetDocument.MODEL,
        fileTypes: [DatasetDocument.FILE_TYPE],
        defaultFor: [DatasetDocument.FILE_TYPE],
        readOnly: true
      },
      {
        analyze: openAnalysis(app),
        report: path => void app.commands.execute(CommandIDs.report, { path }),
        validate: path => void app.commands.execute(CommandIDs.validate, { path })
      }
    );
    app.docRegistry.addWidgetFactory(factory);
    const tracker = new WidgetTracker<DatasetDocumentWidget>({ namespace: 'locolens-dataset' });
    factory.widgetCreated.connect((_, widget) => {
      widget.context.pathChanged.connect(() => void tracker.save(widget));
      void tracker.add(widget);
    });
    if (restorer) {
      void restorer.restore(tracker, {
        command: 'docmanager:open',
        args: widget => ({ path: widget.context.path, factory: DatasetDocument.FACTORY }),
        name: widget => widget.context.path
      });
    }
  }
};
