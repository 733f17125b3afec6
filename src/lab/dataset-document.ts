/**
 * Opening a .parquet from JupyterLab's file browser (double-click, "Open With → locolens").
 *
 * #### Notes
 * JupyterLab's document context loads a file's content through the Contents API (base64 JSON
 * of the whole file) unless the model factory's `fileFormat` is null. This model factory sets
 * it to null, so opening a 2 GB file fetches only its metadata; the view reads what it needs
 * with Range requests in the workers.
 */
import { ABCWidgetFactory, DocumentModel, DocumentRegistry, DocumentWidget, type IDocumentWidget } from '@jupyterlab/docregistry';
import type { Contents } from '@jupyterlab/services';

import { DatasetSummaryView, type ISummaryActions } from './dataset-summary-view';
import { locolensIcon } from './icons';
import type { ILocolensDatasets } from './tokens';

/** Names used in the document registry. */
export namespace DatasetDocument {
  export const FILE_TYPE = 'locolens-parquet';
  export const MODEL = 'locolens-metadata-only';
  export const FACTORY = 'locolens';
}

/** A model factory that never loads file content. */
export class MetadataOnlyModelFactory implements DocumentRegistry.IModelFactory<DocumentRegistry.IModel> {
  readonly name = DatasetDocument.MODEL;
  readonly contentType: Contents.ContentType = 'file';
  readonly fileFormat: Contents.FileFormat = null;
  readonly collaborative = false;
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    this.disposed = true;
  }

  preferredLanguage(): string {
    return '';
  }

  createNew(): DocumentRegistry.IModel {
    const model = new DocumentModel();
    model.readOnly = true;
    return model;
  }
}

/** The document widget type. */
export type DatasetDocumentWidget = IDocumentWidget<DatasetSummaryView>;

/** Creates dataset summary documents. */
export class DatasetWidgetFactory extends ABCWidgetFactory<DatasetDocumentWidget, DocumentRegistry.IModel> {
  constructor(
    private readonly datasets: ILocolensDatasets,
    options: DocumentRegistry.IWidgetFactoryOptions<DatasetDocumentWidget>,
    private readonly actions: ISummaryActions = {}
  ) {
    super(options);
  }

  protected createNewWidget(context: DocumentRegistry.IContext<DocumentRegistry.IModel>): DatasetDocumentWidget {
    const content = new DatasetSummaryView(this.datasets, this.actions);
    const widget = new DocumentWidget({ content, context });
    widget.addClass('locolens-document');
    widget.title.icon = locolensIcon;
    void context.ready.then(() => content.load(context.path));
    context.pathChanged.connect((_, path) => void content.load(path));
    return widget;
  }
}
