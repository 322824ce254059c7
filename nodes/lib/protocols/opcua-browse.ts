/**
 * One level of a server's address space for the editor's browse dialog: the objects and
 * variables below a node, following continuation points.
 */
import { BrowseDirection, NodeClass, NodeClassMask, type ClientSession, type ReferenceDescription } from 'node-opcua';

export interface BrowseEntry {
  nodeId: string;
  /** `ns:name`, as a browse path segment (the namespace is left out for 1, the default). */
  browseName: string;
  displayName: string;
  nodeClass: 'Object' | 'Variable';
}

export const OBJECTS_FOLDER = 'i=85';
const HIERARCHICAL = 'i=33';
const MAX_ENTRIES = 5000;

export async function browseChildren(session: ClientSession, nodeId: string = OBJECTS_FOLDER): Promise<BrowseEntry[]> {
  const references: ReferenceDescription[] = [];
  let result = await session.browse({
    nodeId,
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: HIERARCHICAL,
    includeSubtypes: true,
    nodeClassMask: NodeClassMask.Object | NodeClassMask.Variable,
    resultMask: 63,
  });
  if (!result.statusCode.isGood()) throw new Error(`cannot browse ${nodeId}: ${result.statusCode.name}`);
  references.push(...(result.references ?? []));
  while (result.continuationPoint && result.continuationPoint.length > 0 && references.length < MAX_ENTRIES) {
    result = await session.browseNext(result.continuationPoint, false);
    references.push(...(result.references ?? []));
  }
  if (result.continuationPoint && result.continuationPoint.length > 0) await session.browseNext(result.continuationPoint, true);
  return references.map((r) => ({
    nodeId: r.nodeId.toString(),
    browseName: r.browseName.namespaceIndex === 1 ? (r.browseName.name ?? '') : `${r.browseName.namespaceIndex}:${r.browseName.name ?? ''}`,
    displayName: r.displayName.text ?? r.browseName.name ?? '',
    nodeClass: r.nodeClass === NodeClass.Variable ? 'Variable' : 'Object',
  }));
}
