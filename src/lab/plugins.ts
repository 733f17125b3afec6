/**
 * The locolens JupyterLab plugins: thin wiring of the services and widgets in this folder.
 */
import { ILayoutRestorer, type JupyterFrontEnd, type JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { WidgetTracker } from '@jupyterlab/apputils';

import { DatasetBrowser } from './dataset-browser';
import { DatasetDocument, DatasetWidgetFactory, MetadataOnlyModelFactory, type DatasetDocumentWidget } from './dataset-document';
import { DatasetService } from './dataset-service';
import { locolensIcon } from './icons';
import { ILocolensDatasets } from './tokens';

/** Command IDs of locolens. */
export namespace CommandIDs {
  export const openBrowser = 'locolens:open-dataset-browser';
  export const refreshBrowser = 'locolens:refresh-dataset-browser';
  export const inspectFile = 'locolens:inspect-file';
}

/** Plugin IDs (each has its settings schema in schema/<name>.json). */
export namespace PluginIDs {
  export const datasets = 'locolens:datasets';
  export const browser = 'locolens:dataset-browser';
  export const documents = 'locolens:dataset-documents';
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
    if (settingRegistry) {
      void settingRegistry.load(PluginIDs.datasets).then(settings => {
        const apply = () => service.setPoolSize(settings.get('workers').composite as number);
        apply();
        settings.changed.connect(apply);
      });
    }
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
    const browser = new DatasetBrowser(datasets, path =>
      app.commands.execute('docmanager:open', { path, factory: DatasetDocument.FACTORY })
    );
    app.shell.add(browser, 'left', { rank: 600 });
    restorer?.add(browser, browser.id);
    if (settingRegistry) {
      void settingRegistry.load(PluginIDs.browser).then(settings => {
        const apply = () =>
          browser.configure(settings.get('folder').composite as string, settings.get('maxFiles').composite as number);
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
    app.commands.addCommand(CommandIDs.refreshBrowser, {
      label: 'Refresh the Dataset Browser',
      execute: () => browser.refresh()
    });
    palette?.addItem({ command: CommandIDs.openBrowser, category: 'locolens' });
    palette?.addItem({ command: CommandIDs.refreshBrowser, category: 'locolens' });
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
    const factory = new DatasetWidgetFactory(datasets, {
      name: DatasetDocument.FACTORY,
      label: 'locolens',
      modelName: DatasetDocument.MODEL,
      fileTypes: [DatasetDocument.FILE_TYPE],
      defaultFor: [DatasetDocument.FILE_TYPE],
      readOnly: true
    });
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
