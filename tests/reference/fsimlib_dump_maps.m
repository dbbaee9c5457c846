function fsimlib_dump_maps()
  % Save FeatureSIM's intermediate maps from the caller's workspace.
  %
  % oracle.py inserts a call to this function into its working copy of
  % FeatureSIM.m, just before the similarity is computed (where FeatureSIM
  % sets its constant T1), so that the luminance, chromatic, phase
  % congruency and gradient maps of the downsampled images can be compared
  % with fsimlib's.  It only reads them: the scores are those of the
  % unmodified function.  Nothing is saved unless run_oracle.m has named a
  % file in the global FSIMLIB_MAPS_FILE.
  global FSIMLIB_MAPS_FILE
  if isempty(FSIMLIB_MAPS_FILE)
    return
  end
  names = {'Y1', 'Y2', 'I1', 'I2', 'Q1', 'Q2', 'PC1', 'PC2', ...
           'gradientMap1', 'gradientMap2'};
  maps = struct();
  for k = 1:numel(names)
    if evalin('caller', sprintf('exist(''%s'', ''var'')', names{k}))
      maps.(names{k}) = evalin('caller', names{k});
    end
  end
  save('-mat7-binary', FSIMLIB_MAPS_FILE, '-struct', 'maps');
end
