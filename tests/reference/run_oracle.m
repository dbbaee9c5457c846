% Run the authors' FeatureSIM on a list of image pairs and phase-congruency
% inputs, under GNU Octave.  Called by oracle.py, which prepares JOB_DIR:
%
%   octave-cli --norc --quiet run_oracle.m JOB_DIR
%
% JOB_DIR/pairs.txt   one pair a line: case_id<TAB>reference<TAB>distorted<TAB>maps
%                     (maps: a .mat file to write the case's maps to, or "-")
% JOB_DIR/pc.txt      one input a line: input.mat<TAB>output.mat
% JOB_DIR/scores.txt  written: case_id<TAB>FSIM<TAB>FSIMc, 17 significant digits
%
% The images are passed to FeatureSIM exactly as imread returns them (so a
% bilevel PNG arrives as a logical array), in double precision, as the
% corpus was made.  FeatureSIM.m, split by oracle.py into one file per
% function, must be on the path (oracle.py adds it).

pkg load image
global FSIMLIB_MAPS_FILE
args = argv();
job = args{1};

pairs = fopen(fullfile(job, 'pairs.txt'), 'r');
scores = fopen(fullfile(job, 'scores.txt'), 'w');
line = fgetl(pairs);
while ischar(line)
  fields = strsplit(line, "\t");
  if strcmp(fields{4}, '-')
    FSIMLIB_MAPS_FILE = '';
  else
    FSIMLIB_MAPS_FILE = fields{4};
  end
  [fsim, fsimc] = FeatureSIM(imread(fields{2}), imread(fields{3}));
  fprintf(scores, "%s\t%.17g\t%.17g\n", fields{1}, fsim, fsimc);
  line = fgetl(pairs);
end
fclose(pairs);
fclose(scores);
FSIMLIB_MAPS_FILE = '';

inputs = fopen(fullfile(job, 'pc.txt'), 'r');
line = fgetl(inputs);
while ischar(line)
  fields = strsplit(line, "\t");
  loaded = load(fields{1});
  PC = phasecong2(loaded.input);
  save('-mat7-binary', fields{2}, 'PC');
  line = fgetl(inputs);
end
fclose(inputs);
